"""Product recommendations from purchases and product views (item-item collaborative
filtering with a popularity fallback), and their offline evaluation.

    interactions = load_interactions(conn)            # personalization.store.interactions
    model = ItemItemRecommender().fit(interactions)
    model.recommend("C0000042", k=5)                  # [Recommendation(product_id, score, reason)]
    print(hit_rate_at_k(interactions, k=5))           # model vs popularity, last purchase held out
"""

from personalization.recommend.evaluate import EvaluationResult, hit_rate_at_k, split_last_purchase
from personalization.recommend.itemcf import (
    POPULAR,
    SIMILAR,
    ItemItemRecommender,
    Recommendation,
)

__all__ = [
    "POPULAR",
    "SIMILAR",
    "EvaluationResult",
    "ItemItemRecommender",
    "Recommendation",
    "hit_rate_at_k",
    "split_last_purchase",
]
