"""A small shop with one customer of each kind the personalization tells apart. All but
FIRST consented to personalization under the current privacy notice; FIRST never answered."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import yaml

from personalization.conversation.identity import signed_metadata
from personalization.store import Store
from personalization.store.commerce import upsert_orders, upsert_products, upsert_tickets
from personalization.store.customers import save_scores, set_preferences, upsert_customers
from personalization.store.history import Delta, add_to_history
from personalization.store.tracking import record_consent
from tests.trackers import ROOT

SECRET = b"test-identity-secret-0123456789"
NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday; 11:00 in Brussels

VIP, NEW, LEAVING, AT_RISK, REGULAR, AWAY, FIRST = (
    "C-VIP", "C-NEW", "C-LEAVING", "C-AT-RISK", "C-REGULAR", "C-AWAY", "C-WELCOME")
CONSENTED = (VIP, NEW, LEAVING, AT_RISK, REGULAR, AWAY)
# the privacy notice the project's rules file asks consent for
NOTICE = yaml.safe_load((ROOT / "personalization.yml").read_text())["settings"][
    "privacy_notice_version"]

PRODUCTS = [
    {"product_id": "P1", "name": "Espresso Machine", "category": "kitchen", "price": 249.0},
    {"product_id": "P2", "name": "Milk Frother", "category": "kitchen", "price": 39.0},
    {"product_id": "P3", "name": "Coffee Grinder", "category": "kitchen", "price": 89.0},
    {"product_id": "P4", "name": "Desk Lamp", "category": "home", "price": 45.0},
]


def metadata(customer_id: str, sender: str, secret: bytes = SECRET, **signing) -> dict:
    """What the website's chat widget sends with each message of a signed-in customer in the
    conversation `sender` (`signing`: lifetime, now)."""
    return signed_metadata(secret, customer_id, sender, **signing)


def _order(now, order_id, customer, status, days_ago, items, total):
    return {"order_id": order_id, "customer_id": customer, "status": status, "total": total,
            "currency": "EUR", "placed_at": now - timedelta(days=days_ago),
            "items": [{"product_id": p, "quantity": q} for p, q in items]}  # fmt: skip


def fill(store: Store, now: datetime = NOW) -> None:
    year = now.year - 1
    with store.begin() as conn:
        upsert_products(conn, PRODUCTS)
        upsert_customers(conn, [
            {"customer_id": VIP, "name": "Margaret Smith", "country": "BE",
             "account_tier": "Premium", "loyalty_status": "gold", "signup_date": date(year, 1, 5)},
            {"customer_id": NEW, "name": "Anna Novak", "country": "DE", "account_tier": "Free",
             "signup_date": (now - timedelta(days=4)).date()},
            {"customer_id": LEAVING, "name": "Tom Berger", "country": "AT", "account_tier": "Plus",
             "signup_date": date(year, 3, 1)},
            {"customer_id": AT_RISK, "name": "Julia Costa", "country": "PT",
             "account_tier": "Plus", "signup_date": date(year, 2, 1)},
            {"customer_id": REGULAR, "name": "Lars Jensen", "country": "DK",
             "account_tier": "Premium", "signup_date": date(year, 6, 1)},
            {"customer_id": AWAY, "name": "Sofia Rossi", "country": "IT", "account_tier": "Plus",
             "signup_date": date(year, 4, 1)},
            {"customer_id": FIRST, "name": "Ines Moreau", "email": "ines.moreau@example.com",
             "country": "FR", "account_tier": "Plus", "loyalty_status": "gold",
             "signup_date": date(year, 5, 1)},
        ])  # fmt: skip
        set_preferences(conn, VIP, tone="formal")
        upsert_orders(conn, [
            _order(now, "10000001", VIP, "delivered", 40, [("P1", 1)], 1249.0),
            _order(now, "10000002", VIP, "paid", 1, [("P2", 2)], 78.0),
            _order(now, "20000001", LEAVING, "dispatched", 3, [("P4", 1)], 45.0),
            _order(now, "30000001", AT_RISK, "delivered", 60, [("P1", 1), ("P2", 1)], 288.0),
            _order(now, "40000001", REGULAR, "placed", 0, [("P1", 1)], 249.0),
            _order(now, "40000002", REGULAR, "delivered", 90, [("P3", 1), ("P2", 1)], 128.0),
            _order(now, "50000001", AWAY, "delivered", 200, [("P3", 1)], 89.0),
        ])  # fmt: skip
        upsert_tickets(conn, [
            {"ticket_id": "T1", "customer_id": REGULAR, "category": "payment",
             "channel": "email", "created_at": now - timedelta(days=2), "escalated": False},
        ])  # fmt: skip
        save_scores(conn, [
            {"customer_id": c, "segment": s, "persona": p, "churn_risk": r,
             "model_version": "test", "computed_at": now}
            for c, s, p, r in [(VIP, "2", "Loyal big spenders", 0.1),
                               (NEW, "0", "Newcomers", 0.3),
                               (LEAVING, "1", "Unhappy support seekers", 0.86),
                               (AT_RISK, "1", "Unhappy support seekers", 0.74),
                               (REGULAR, "3", "Steady regulars", 0.2),
                               (AWAY, "3", "Steady regulars", 0.35)]
        ])  # fmt: skip
        add_to_history(conn, {
            VIP: Delta(conversations=3, last_interaction_at=now - timedelta(days=5)),
            REGULAR: Delta(conversations=1, last_interaction_at=now - timedelta(days=2)),
            AWAY: Delta(conversations=2, last_interaction_at=now - timedelta(days=95)),
        })  # fmt: skip
        for customer in CONSENTED:
            record_consent(conn, customer, "personalization", True, "web", NOTICE,
                           at=now - timedelta(days=30))  # fmt: skip
