"""Offline evaluation: leave-last-purchase-out hit rate@k, against a popularity baseline.

For every customer with purchases at two or more different times, the last purchase is held
out: it and everything the customer did from that moment on (views included) leave the
training data. One model is fitted on what remains; a customer counts as a hit when the
held-out product is among their top-k recommendations (already purchased products
excluded). The baseline recommends the k most purchased products of the training data that
the customer has not bought.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from personalization.recommend.itemcf import (
    SCORE_CELLS,
    ItemItemRecommender,
    popularity_order,
    top_k,
)


@dataclass(frozen=True)
class EvaluationResult:
    k: int
    customers: int  # customers evaluated (one held-out purchase each)
    hit_rate: float  # item-item model
    popularity_hit_rate: float  # most purchased products baseline

    @property
    def lift(self) -> float:
        if self.popularity_hit_rate == 0:
            return float("inf") if self.hit_rate > 0 else 1.0
        return self.hit_rate / self.popularity_hit_rate

    def __str__(self) -> str:
        return (
            f"hit rate@{self.k} over {self.customers:,} customers: item-item "
            f"{self.hit_rate:.3f}, popularity {self.popularity_hit_rate:.3f} "
            f"({self.lift:.2f}x)"
        )


def split_last_purchase(interactions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training interactions, held-out purchases with columns customer_id, product_id).

    The held-out purchase is the customer's last by `at`; when that order has several
    products, the one with the greatest product_id (so the split is deterministic).
    """
    missing = {"customer_id", "product_id", "kind", "at"} - set(interactions.columns)
    if missing:
        raise ValueError(f"The interactions frame lacks the column(s) {sorted(missing)}")
    frame = interactions.dropna(subset=["customer_id", "product_id", "at"])
    frame = frame.reset_index(drop=True)
    at = pd.to_datetime(frame["at"])
    purchases = frame.loc[frame["kind"] == "purchase", ["customer_id", "product_id"]]
    purchases = purchases.assign(at=at[purchases.index])
    times = purchases.groupby("customer_id", sort=True)["at"].agg(["min", "max"])
    cutoff = times.loc[times["min"] < times["max"], "max"]  # two or more purchase times
    last = purchases[purchases["at"] == purchases["customer_id"].map(cutoff)]
    held_out = (
        last.sort_values(["customer_id", "product_id"])
        .groupby("customer_id", sort=True)
        .tail(1)[["customer_id", "product_id"]]
        .reset_index(drop=True)
    )
    ends = frame["customer_id"].map(cutoff)
    training = frame[ends.isna() | (at < ends)]
    return training, held_out


def hit_rate_at_k(interactions: pd.DataFrame, k: int = 5, **fit_kwargs) -> EvaluationResult:
    """Fit an ItemItemRecommender (with `fit_kwargs`) on the training part of the split and
    measure its hit rate@k and the popularity baseline's on the held-out purchases."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    training, held_out = split_last_purchase(interactions)
    if held_out.empty:
        raise ValueError("No customer has purchases at two different times: nothing to hold out")
    model = ItemItemRecommender().fit(training, **fit_kwargs)
    rows = model.customers.get_indexer(held_out["customer_id"])  # all known: earlier purchase
    wanted = model.products.get_indexer(held_out["product_id"])  # -1: never seen, a miss
    n = len(model.products)
    popularity_keys = np.empty(n)
    popularity_keys[popularity_order(model.purchase_counts)] = -np.arange(n, dtype=float)
    model_hits = popular_hits = 0
    step = max(1, SCORE_CELLS // n)
    for start in range(0, len(rows), step):
        part, target = rows[start : start + step], wanted[start : start + step, None]
        top, _, _ = model.rank(part, k, exclude_purchased=True)
        model_hits += int(((top == target) & (target >= 0)).any(axis=1).sum())
        keys = np.repeat(popularity_keys[None, :], len(part), axis=0)
        keys[model.purchased[part].toarray() > 0] = -np.inf
        chosen = top_k(keys, k)
        chosen = np.where(np.isneginf(np.take_along_axis(keys, chosen, axis=1)), -1, chosen)
        popular_hits += int(((chosen == target) & (target >= 0)).any(axis=1).sum())
    total = len(rows)
    return EvaluationResult(k, total, model_hits / total, popular_hits / total)
