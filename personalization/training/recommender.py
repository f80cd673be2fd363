"""The recommender's part of a training run: fitted on the purchases and views of the
customers who allow personalization only, keyed for erasures, and settled with the erasures
(and withdrawals) that happened while the run read and fitted.

Settling, just before the models are saved: the rows of the customers on the erased list
are dropped, and so are those of every customer who no longer grants the purpose (an erasure
deletes the consent, so this catches an erasure committed after the interactions were read
even when the hash key is missing). The list's entries read then are removed after the save:
each was appended after its erasure committed, so the consent check saw it. An erasure that
appends later stays on the list for the loads of the new model.
"""

from __future__ import annotations

from pathlib import Path

from personalization.hashing import IdHasher
from personalization.recommend import ItemItemRecommender, hit_rate_at_k
from personalization.store import Store
from personalization.store.customers import granted_customers
from personalization.store.interactions import load_interactions
from personalization.training.erased import ErasedList


def fit_recommender(store: Store, purpose: str, hasher: IdHasher | None
                    ) -> tuple[ItemItemRecommender | None, dict, int]:  # fmt: skip
    """(the recommender or None without interactions, its metrics, interactions used)."""
    with store.engine.connect() as conn:  # one read transaction: interactions and consent
        interactions = load_interactions(conn)
        allowed = granted_customers(conn, purpose)
    interactions = interactions[interactions.customer_id.isin(allowed)]
    if interactions.empty:
        return None, {}, 0
    evaluation = hit_rate_at_k(interactions, k=5)
    recommender = ItemItemRecommender().fit(interactions)
    if hasher is not None:
        recommender.key_customers(hasher)
    metrics = {"hit_rate_at_5": evaluation.hit_rate,
               "popularity_hit_rate_at_5": evaluation.popularity_hit_rate,
               "customers": evaluation.customers}  # fmt: skip
    return recommender, metrics, len(interactions)


def settle_erasures(recommender: ItemItemRecommender | None, folder: Path, store: Store,
                    purpose: str) -> list[str]:  # fmt: skip
    """Drop the erased and withdrawn customers from the recommender about to be saved;
    returns the erased list's entries dealt with (remove them once the models are saved)."""
    entries = ErasedList(folder).read()
    if recommender is None:
        return entries
    if entries and recommender.customer_keys is not None:
        recommender.drop_keys(entries)
    with store.engine.connect() as conn:
        allowed = granted_customers(conn, purpose)
    recommender.drop_customers(recommender.customers[~recommender.customers.isin(allowed)])
    return entries
