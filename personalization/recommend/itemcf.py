"""Item-item collaborative filtering on implicit feedback (purchases and product views).

A customer x product matrix holds each customer's summed interaction weights, log-damped
(log1p), so one heavy buyer does not dominate. Two products are similar when the same
customers interact with both: cosine similarity of their columns, shrunk towards 0 when few
customers share them (c / (c + shrinkage), c = customers who have both). Each product keeps
its `neighbours` most similar products. A customer's score for a product is the sum, over
the products in their history (by weight), of that product's similarity to it. Customers
without history, and leftover places in a list, get the most purchased products.

Ties are broken by product_id, so the same data always gives the same recommendations.

Erasure: `key_customers(hasher)` keeps, per customer row, the first 64 bits of the keyed hash
the suppression list holds for them (personalization.hashing); `drop_keys` removes the rows
of erased customers from those hashes alone, without their ids (training/erased.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

SIMILAR = "similar to items you bought/viewed"
POPULAR = "popular"
KINDS = ("purchase", "view")
SCORE_CELLS = 1 << 22  # dense scores per batch in recommend_many: 32 MB of float64


@dataclass(frozen=True)
class Recommendation:
    product_id: str
    score: float  # similarity score, or for POPULAR the product's share of all purchases
    reason: str


def interaction_weights(
    interactions: pd.DataFrame, view_weight: float = 1.0, purchase_weight: float = 3.0
) -> np.ndarray:
    """Weight per row: `purchase_weight` per order line (whatever its quantity), else
    `view_weight`. Raises ValueError on an unknown kind."""
    kind = interactions["kind"].to_numpy()
    unknown = set(pd.unique(kind)) - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown interaction kinds {sorted(map(str, unknown))}; use {KINDS}")
    return np.where(kind == "purchase", float(purchase_weight), float(view_weight))


def popularity_order(counts: np.ndarray) -> np.ndarray:
    """Item indices, most purchased first; ties in index (product_id) order."""
    return np.lexsort((np.arange(len(counts)), -counts))


class ItemItemRecommender:
    """Fit on an interactions frame (columns customer_id, product_id, kind; see
    personalization.store.interactions), then recommend. Picklable (joblib.dump/load)."""

    def __init__(self) -> None:
        self.products: pd.Index | None = None  # column order: sorted product ids
        self.customers: pd.Index | None = None  # row order: sorted customer ids
        self.history: sparse.csr_matrix | None = None  # customers x products, damped weights
        self.purchased: sparse.csr_matrix | None = None  # customers x products, 1 if bought
        self.similarity: sparse.csr_matrix | None = None  # products x products, top neighbours
        self.purchase_counts: np.ndarray | None = None  # order lines per product
        self.params: dict[str, float] = {}
        self.customer_keys: np.ndarray | None = None  # per row: key_of(keyed hash), uint64

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"customer_keys": None, **state})  # saved before keys existed

    def fit(
        self,
        interactions: pd.DataFrame,
        view_weight: float = 1.0,
        purchase_weight: float = 3.0,
        shrinkage: float = 100.0,
        neighbours: int = 50,
    ) -> ItemItemRecommender:
        missing = {"customer_id", "product_id", "kind"} - set(interactions.columns)
        if missing:
            raise ValueError(f"The interactions frame lacks the column(s) {sorted(missing)}")
        frame = interactions.dropna(subset=["customer_id", "product_id"])
        if frame.empty:
            raise ValueError("No interactions to fit on: the frame has no usable rows")
        if view_weight < 0 or purchase_weight < 0 or view_weight + purchase_weight <= 0:
            raise ValueError("view_weight and purchase_weight must be >= 0, not both 0")
        if shrinkage < 0 or neighbours < 1:
            raise ValueError("shrinkage must be >= 0 and neighbours >= 1")
        weights = interaction_weights(frame, view_weight, purchase_weight)
        rows, customers = pd.factorize(frame["customer_id"].astype(str), sort=True)
        cols, products = pd.factorize(frame["product_id"].astype(str), sort=True)
        shape = (len(customers), len(products))
        history = sparse.csr_matrix((weights, (rows, cols)), shape=shape)  # sums duplicates
        history.data = np.log1p(history.data)
        history.eliminate_zeros()
        bought = (frame["kind"] == "purchase").to_numpy()
        purchased = sparse.csr_matrix(
            (np.ones(bought.sum()), (rows[bought], cols[bought])), shape=shape
        )
        self.purchase_counts = np.asarray(purchased.sum(axis=0)).ravel()
        purchased.data[:] = 1.0
        self.products, self.customers = pd.Index(products), pd.Index(customers)
        self.history, self.purchased = history, purchased
        self.customer_keys = None
        self.similarity = _similarity(history, shrinkage, neighbours)
        self.params = {"view_weight": view_weight, "purchase_weight": purchase_weight,
                       "shrinkage": shrinkage, "neighbours": neighbours}  # fmt: skip
        return self

    def recommend(
        self, customer_id: str, k: int = 5, exclude_purchased: bool = True
    ) -> list[Recommendation]:
        return self.recommend_many([customer_id], k, exclude_purchased)[str(customer_id)]

    def recommend_many(
        self, customer_ids: Iterable[str], k: int = 5, exclude_purchased: bool = True
    ) -> dict[str, list[Recommendation]]:
        """Recommendations per customer id (unknown ids get the popular products)."""
        self._check_fitted()
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        ids = list(dict.fromkeys(str(c) for c in customer_ids))
        rows = self.customers.get_indexer(ids)
        known = np.flatnonzero(rows >= 0)
        popular = self.popular(k)
        out = {c: list(popular) for c in ids}
        step = max(1, SCORE_CELLS // max(1, len(self.products)))
        for start in range(0, len(known), step):
            part = known[start : start + step]
            top, scores, similar = self.rank(rows[part], k, exclude_purchased)
            for i, position in enumerate(part.tolist()):
                out[ids[position]] = self._recommendations(top[i], scores[i], similar[i])
        return out

    def rank(
        self, rows: np.ndarray, k: int, exclude_purchased: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For customer rows of the model: the top-k product indices (-1 pads where fewer
        products are left), their scores and whether each came from similarity."""
        scores = (self.history[rows] @ self.similarity).toarray()
        similar = scores > 0
        n = len(self.products)
        fallback = np.empty(n)  # below every similarity score, in popularity order
        fallback[popularity_order(self.purchase_counts)] = -(1 + np.arange(n)) / (n + 1)
        keys = np.where(similar, scores, fallback)
        if exclude_purchased:
            keys[self.purchased[rows].toarray() > 0] = -np.inf
        top = top_k(keys, k)
        picked = np.take_along_axis(keys, top, axis=1)
        share = self.purchase_counts / max(1.0, float(self.purchase_counts.sum()))
        top_similar = np.take_along_axis(similar, top, axis=1)
        top_scores = np.where(top_similar, picked, share[top])
        return np.where(np.isneginf(picked), -1, top), top_scores, top_similar

    def popular(self, k: int) -> list[Recommendation]:
        order = popularity_order(self.purchase_counts)[:k]
        total = max(1.0, float(self.purchase_counts.sum()))
        return [Recommendation(str(self.products[i]), float(self.purchase_counts[i] / total),
                               POPULAR) for i in order.tolist()]  # fmt: skip

    def history_of(self, customer_id: str) -> dict[str, float]:
        """What the model holds about one customer: damped weight per product."""
        self._check_fitted()
        row = self.customers.get_indexer([str(customer_id)])[0]
        if row < 0:
            return {}
        found = self.history[row]
        return {str(self.products[j]): float(w)
                for j, w in zip(found.indices, found.data, strict=True)}  # fmt: skip

    def key_customers(self, hasher: Callable[[str], str]) -> None:
        """Remember each customer row's key (key_of their keyed hash), for drop_keys."""
        self._check_fitted()
        self.customer_keys = np.array([key_of(hasher(c)) for c in self.customers],
                                      dtype=np.uint64)  # fmt: skip

    def drop_customers(self, customer_ids: Iterable[str]) -> int:
        """Remove these customers' rows; returns how many the model had. The product
        similarities and purchase counts are aggregates over everyone: the next training
        renews them."""
        self._check_fitted()
        return self._drop(self.customers.isin([str(c) for c in customer_ids]))

    def drop_keys(self, id_hashes: Iterable[str]) -> int:
        """Remove the rows of the customers with these keyed hashes (needs key_customers)."""
        self._check_fitted()
        if self.customer_keys is None:
            raise ValueError("This recommender keeps no keys of its customers (it was trained "
                             "without PERSONALIZATION_HASH_KEY): train it again with the key.")
        wanted = np.array([key_of(h) for h in id_hashes], dtype=np.uint64)
        return self._drop(np.isin(self.customer_keys, wanted))

    def _drop(self, gone: np.ndarray) -> int:
        if not gone.any():
            return 0
        keep = np.flatnonzero(~gone)
        self.customers = self.customers[keep]
        self.history, self.purchased = self.history[keep], self.purchased[keep]
        if self.customer_keys is not None:
            self.customer_keys = self.customer_keys[keep]
        return int(gone.sum())

    def _recommendations(self, top, scores, similar) -> list[Recommendation]:
        return [Recommendation(str(self.products[i]), float(s), SIMILAR if sim else POPULAR)
                for i, s, sim in zip(top.tolist(), scores.tolist(), similar.tolist(),
                                     strict=True) if i >= 0]  # fmt: skip

    def _check_fitted(self) -> None:
        if self.similarity is None:
            raise RuntimeError("The recommender is not fitted: call fit(interactions) first")


def key_of(id_hash: str) -> int:
    """A customer's key in the model: the first 64 bits of their keyed hash (hex)."""
    return int(id_hash[:16], 16)


def top_k(keys: np.ndarray, k: int) -> np.ndarray:
    """Per row, the column indices of the k largest keys, largest first, ties broken by the
    lower column index (product_id order)."""
    n_rows, n = keys.shape
    k = min(k, n)
    if k == 0:
        return np.empty((n_rows, 0), dtype=np.int64)
    kth = -np.partition(-keys, k - 1, axis=1)[:, k - 1 : k]
    above, tied = keys > kth, keys == kth
    need = k - above.sum(axis=1, keepdims=True)  # tied columns to take, lowest index first
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= need))
    columns = np.nonzero(chosen)[1].reshape(n_rows, k)  # k per row, in column order
    order = np.argsort(-np.take_along_axis(keys, columns, axis=1), axis=1, kind="stable")
    return np.take_along_axis(columns, order, axis=1)


def _similarity(history: sparse.csr_matrix, shrinkage: float, neighbours: int):
    """Shrunk cosine similarity between product columns, top `neighbours` per product."""
    gram = (history.T @ history).tocsr()
    binary = history.copy()
    binary.data[:] = 1.0
    common = (binary.T @ binary).tocsr()  # customers sharing both products
    for m in (gram, common):
        m.sum_duplicates()
        m.sort_indices()
    # all weights are positive, so both products have the same entries in the same order
    assert np.array_equal(gram.indices, common.indices)
    norms = np.sqrt(gram.diagonal())
    coo = gram.tocoo()
    cosine = coo.data / (norms[coo.row] * norms[coo.col])
    shrunk = cosine * common.data / (common.data + shrinkage)
    keep = (coo.row != coo.col) & (shrunk > 0)
    row, col, value = coo.row[keep], coo.col[keep], shrunk[keep]
    order = np.lexsort((col, -value, row))  # per row: most similar first, then product_id
    row, col, value = row[order], col[order], value[order]
    starts = np.searchsorted(row, np.arange(gram.shape[0]))
    rank = np.arange(len(row)) - starts[row]
    keep = rank < neighbours
    return sparse.csr_matrix((value[keep], (row[keep], col[keep])), shape=gram.shape)
