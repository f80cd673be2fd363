"""Product suggestions for a chat: personal ones from the recommender for a known customer,
popular ones for new customers and anonymous visitors (nothing personal for them)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from personalization.recommend import SIMILAR, ItemItemRecommender
from personalization.store import Store
from personalization.store.commerce import product_names
from personalization.store.profile import Profile

PERSONAL, POPULAR, NONE = "personal", "popular", "none"


@dataclass(frozen=True)
class Suggestions:
    kind: str  # personal | popular | none
    products: tuple[str, ...] = ()  # product names
    interest: str | None = None  # what the personal ones are based on

    def listed(self) -> str:
        names = list(self.products)
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def suggest(recommender: ItemItemRecommender | None, store: Store | None,
            profile: Profile | None, k: int = 3) -> Suggestions:  # fmt: skip
    if recommender is None or store is None:
        return Suggestions(NONE)
    customer = profile.customer_id if profile is not None else ""
    picks = recommender.recommend(customer, k) if customer else recommender.popular(k)
    personal = profile is not None and any(p.reason == SIMILAR for p in picks)
    latest = _latest_product(profile) if personal else None
    try:
        with store.engine.connect() as conn:
            names = product_names(conn, [p.product_id for p in picks] + ([latest] if latest
                                                                          else []))  # fmt: skip
    except SQLAlchemyError:
        return Suggestions(NONE)
    products = tuple(names.get(p.product_id, p.product_id) for p in picks)
    if not products:
        return Suggestions(NONE)
    if not personal:
        return Suggestions(POPULAR, products)
    interest = names.get(latest) if latest else None
    if interest is None and profile.product_interests:
        interest = profile.product_interests[0]
    return Suggestions(PERSONAL, products, interest or "your recent orders")


def _latest_product(profile: Profile) -> str | None:
    for order in profile.recent_orders:  # newest first
        if order.items:
            return max(order.items, key=lambda item: item[1])[0]
    return None
