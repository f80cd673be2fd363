"""Customers without a grant for personalization (declined, withdrawn, never asked) are not
segmented, scored or used in the recommender, on a real store (SQLite and PostgreSQL): the
models are trained on the others only, no score row is written for them (old ones are
deleted at the next score run) and the recommender neither learns from nor answers for them.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from personalization.demo_data import generate, load
from personalization.hashing import IdHasher
from personalization.recommend import POPULAR
from personalization.store import Store, migrate
from personalization.store import schema as t
from personalization.store.customers import save_scores
from personalization.store.tracking import record_consent
from personalization.training import load_models, score_customers, train_models
from tests.databases import create_postgres_database, drop_postgres_database

NOW = datetime(2026, 11, 27)
HASHER = IdHasher(b"declined-test-hash-key-01234567")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shop(request, tmp_path_factory):
    """A demo shop (85% granted, 10% declined, 5% never asked, some withdrew), a stale score
    row of every customer, trained and scored (without churn labels)."""
    folder = tmp_path_factory.mktemp("declined")
    url = (f"sqlite:///{folder / 'p.db'}" if request.param == "sqlite"
           else create_postgres_database())  # fmt: skip
    migrate.upgrade(url)
    store = Store.from_url(url)
    load(store, generate(600, seed=11, now=NOW), progress=False)
    with store.begin() as conn:  # no churn model: most of a training run's time, not needed
        conn.execute(t.customers.update().values(churned=None))
        everyone = list(conn.execute(select(t.customers.c.customer_id)).scalars())
        save_scores(conn, [{"customer_id": c, "segment": "9", "persona": "old",
                            "churn_risk": 0.5, "model_version": "old", "computed_at": NOW}
                           for c in everyone])  # fmt: skip
    models = train_models(store, folder / "models", now=NOW, say=lambda _: None, hasher=HASHER)
    scored = score_customers(store, models, now=NOW, progress=False)
    yield store, folder / "models", models, scored
    store.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


def kinds(store: Store) -> dict[str, set[str]]:
    c, s = t.customers, t.consent_state
    with store.engine.connect() as conn:
        everyone = set(conn.execute(select(c.c.customer_id)).scalars())
        decisions = dict(conn.execute(select(s.c.customer_id, s.c.granted)
                                      .where(s.c.purpose == "personalization")).all())
    granted = {c for c in everyone if decisions.get(c) is True}
    declined = {c for c in everyone if decisions.get(c) is False}  # declined or withdrew
    return {"granted": granted, "declined": declined,
            "never asked": everyone - granted - declined}  # fmt: skip


def buyers(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(t.orders.c.customer_id).distinct()).scalars())


def test_the_shop_has_every_kind_of_customer(shop):
    found = kinds(shop[0])
    assert all(len(ids & buyers(shop[0])) >= 5 for ids in found.values()), {
        k: len(v) for k, v in found.items()}


def test_segments_are_fitted_on_customers_who_granted_personalization_only(shop):
    store, _, models, _ = shop
    granted = kinds(store)["granted"]
    assert sum(p.size for p in models.personas.values()) == len(granted)
    assert models.metadata["customers_used"] == len(granted)


def test_only_customers_who_granted_it_are_scored_and_old_scores_are_deleted(shop):
    store, _, _, scored = shop
    with store.engine.connect() as conn:
        scores = set(conn.execute(select(t.scores.c.customer_id)).scalars())
    assert scores == kinds(store)["granted"] and scored == len(scores)


def test_the_recommender_neither_learns_from_nor_answers_for_the_others(shop):
    store, folder, _, _ = shop
    recommender = load_models(folder).recommender
    found = kinds(store)
    assert set(recommender.customers) <= found["granted"]
    others = (found["declined"] | found["never asked"]) & buyers(store)
    assert not others & set(recommender.customers)
    for customer in sorted(others)[:20]:
        assert recommender.history_of(customer) == {}
        assert {r.reason for r in recommender.recommend(customer)} == {POPULAR}
    o, i = t.orders, t.order_items
    with store.engine.connect() as conn:  # popularity counts the granted customers' lines
        lines = conn.execute(select(func.count()).select_from(i.join(o)).where(
            o.c.status != "cancelled", o.c.customer_id.in_(found["granted"]))).scalar()
    assert recommender.purchase_counts.sum() == lines


def test_a_withdrawal_deletes_the_score_at_the_next_score_run(shop):
    store, folder, models, _ = shop
    leaving = sorted(kinds(store)["granted"])[0]
    assert store.profile(leaving).segment is not None
    with store.begin() as conn:
        record_consent(conn, leaving, "personalization", False, "chat", at=NOW)
    score_customers(store, load_models(folder), now=NOW, progress=False)
    assert store.profile(leaving).segment is None
    with store.begin() as conn:  # as it was, for the other tests of the module
        record_consent(conn, leaving, "personalization", True, "chat", at=NOW)
    score_customers(store, models, now=NOW, progress=False)
