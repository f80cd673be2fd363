"""The profile store on SQLite and PostgreSQL: schema, upserts, profile reads, consent."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, func, inspect, select, text

from personalization.demo_data import generate, load
from personalization.store import Store, StoreNotReady, migrate
from personalization.store import schema as t
from personalization.store.commerce import set_order_status, upsert_orders, upsert_tickets
from personalization.store.customers import save_scores, set_preferences, upsert_customers
from personalization.store.engine import create_engine
from personalization.store.profile_read import _compiled
from personalization.store.tracking import (
    consented,
    record_consent,
    store_events,
    suppress,
    suppressed,
)

T0 = datetime(2026, 5, 1, 12, 0)


def count(store, table):
    with store.begin() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_upgrade_creates_every_table_and_can_run_again(db_url):
    migrate.upgrade(db_url)
    migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    tables = set(inspect(store.engine).get_table_names())
    store.dispose()
    assert set(t.metadata.tables) <= tables


def test_a_store_without_schema_says_how_to_create_it(db_url):
    with pytest.raises(StoreNotReady, match="python -m personalization db upgrade"):
        Store.from_url(db_url)


def test_customer_upsert_counts_and_changes_nothing_the_second_time(store):
    rows = [
        {"customer_id": "c1", "name": "Ada Lovelace", "email": "ada@example.com",
         "country": "GB", "signup_date": date(2024, 1, 5), "attributes": {"contract": "annual"}},
        {"customer_id": "c2", "name": "Alan Turing", "account_tier": "Premium"},
    ]  # fmt: skip
    with store.begin() as conn:
        first = upsert_customers(conn, rows)
    with store.begin() as conn:
        second = upsert_customers(conn, rows)
    with store.begin() as conn:
        third = upsert_customers(conn, [{"customer_id": "c2", "account_tier": "Plus"}])
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 0)
    c2 = store.profile("c2")
    assert c2.account_tier == "Plus" and c2.name == "Alan Turing"  # untouched field kept
    assert store.profile("c1").attributes == {"contract": "annual"}


def test_full_profile_brings_every_part_together(store):
    with store.begin() as conn:
        upsert_customers(conn, [{"customer_id": "c9", "name": "Grace Hopper", "language": "en"}])
        set_preferences(conn, "c9", tone="formal", product_interests=["laptops", "audio"])
        save_scores(conn, [{"customer_id": "c9", "segment": "2", "persona": "Loyal techies",
                            "churn_risk": 0.12, "model_version": "v1", "computed_at": T0}])
        for n in range(7):
            upsert_orders(conn, [{
                "order_id": f"1000000{n}", "customer_id": "c9", "status": "delivered",
                "total": 10.5 * (n + 1), "currency": "EUR", "placed_at": T0 + timedelta(days=n),
                "items": [{"product_id": "p1", "quantity": 1}, {"product_id": "p1"},
                          {"product_id": "p2", "quantity": 3}],
            }])  # fmt: skip
        upsert_tickets(conn, [{"ticket_id": "t1", "customer_id": "c9", "category": "delivery",
                               "created_at": T0, "escalated": True, "csat": 2}])
        record_consent(conn, "c9", "personalization", True, "chat", "2026-01")
    profile = store.profile("c9")
    assert profile.first_name == "Grace"
    assert (profile.tone, profile.product_interests) == ("formal", ("laptops", "audio"))
    assert (profile.persona, profile.churn_risk) == ("Loyal techies", 0.12)
    assert [o.order_id for o in profile.recent_orders] == [f"1000000{n}" for n in (6, 5, 4, 3, 2)]
    assert profile.recent_orders[0].items == (("p1", 2), ("p2", 3))  # same product merged
    assert profile.recent_orders[0].total == pytest.approx(73.5)
    assert profile.recent_tickets[0].escalated is True
    assert profile.consent == {"personalization": True}
    assert store.profile("nobody") is None


def test_order_items_are_replaced_and_status_changes(store):
    order = {"order_id": "55501234", "customer_id": "c1", "status": "placed", "placed_at": T0,
             "items": [{"product_id": "p1", "quantity": 2}]}
    with store.begin() as conn:
        upsert_orders(conn, [order])  # creates the customer it needs
        upsert_orders(conn, [{**order, "items": [{"product_id": "p3", "quantity": 1}]}])
        assert set_order_status(conn, "55501234", "cancelled")
        assert not set_order_status(conn, "00000000", "cancelled")
    profile = store.profile("c1")
    assert profile.recent_orders[0].items == (("p3", 1),)
    assert profile.recent_orders[0].status == "cancelled"


def test_an_event_is_stored_once_per_message_id(store):
    event = {"message_id": "m-1", "customer_id": "c1", "type": "track", "name": "Product Viewed",
             "properties": {"product_id": "p1"}, "context": {}, "timestamp": T0}
    other = {**event, "message_id": "m-2"}
    with store.begin() as conn:
        assert store_events(conn, [event, event]) == {"m-1"}
    with store.begin() as conn:
        assert store_events(conn, [event, other]) == {"m-2"}
    assert count(store, t.events) == 2


def test_the_latest_consent_decision_counts_and_history_is_kept(store):
    with store.begin() as conn:
        record_consent(conn, "c1", "personalization", True, "chat", "v1", at=T0)
        record_consent(conn, "c1", "personalization", False, "chat", "v1", at=T0 + timedelta(1))
        record_consent(conn, "c1", "personalization", True, "import", "v1", at=T0)  # arrives late
        record_consent(conn, "c2", "personalization", True, "web", "v1", at=T0)
        assert consented(conn, ["c1", "c2", "c3"], "personalization") == {"c2"}
        assert consented(conn, ["c2"], "marketing") == set()
    assert count(store, t.consent_records) == 4


def test_suppression_list(store):
    with store.begin() as conn:
        suppress(conn, ["h1", "h1", "h2"])
        assert suppressed(conn, ["h1", "h3"]) == {"h1"}


def test_the_migrations_build_exactly_the_schema_in_the_code(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert differences == []


def test_a_profile_is_read_through_indexes_only(store):
    """Every statement of a profile read finds its rows by an index, never a table scan."""
    data = generate(300, seed=2, now=T0)
    load(store, data, progress=False)
    with_tickets = set(data.tickets.customer_id)
    customer = next(c for c in data.orders.customer_id.value_counts().index if c in with_tickets)
    statements = [(c.sql, c.params(cid=customer)) for c in (
        _compiled(name, store.engine.dialect) for name in ("customer", "tickets", "consent"))]

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        assert store.profile(customer).recent_orders
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    assert len(statements) == 5  # customer with joined parts, tickets, consent; orders, items
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.connect() as conn:
        if not sqlite:  # small tables: make the planner show whether an index path exists
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + statement,
                                                                           parameters))
            assert ("SCAN" not in plan) if sqlite else ("Seq Scan" not in plan), (statement, plan)


def test_upgrading_to_0004_keeps_orders_and_gives_each_consent_its_notice(db_url):
    """A store filled at revision 0003 (before the privacy migration) keeps its data, and the
    current consent decisions get the notice version of their newest record."""
    migrate.upgrade(db_url, "0003")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (customer_id, attributes, created_at, "
                          "updated_at) VALUES ('c1', '{}', :t, :t)"), {"t": T0})
        conn.execute(text("INSERT INTO orders (order_id, customer_id, status, placed_at, "
                          "updated_at) VALUES ('o1', 'c1', 'paid', :t, :t)"), {"t": T0})
        for i, (version, at) in enumerate([("2025-06", T0), ("2026-01", T0 + timedelta(1))]):
            conn.execute(text(
                "INSERT INTO consent_records (id, customer_id, purpose, granted, recorded_at, "
                "channel, notice_version) VALUES (:i, 'c1', 'personalization', true, :at, "
                "'web', :v)"), {"i": i + 1, "at": at, "v": version})  # fmt: skip
        conn.execute(text("INSERT INTO consent_state (customer_id, purpose, granted, "
                          "recorded_at) VALUES ('c1', 'personalization', true, :t)"),
                     {"t": T0 + timedelta(1)})  # fmt: skip
    engine.dispose()
    migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    profile = store.profile("c1")
    assert profile.consent_notice == {"personalization": "2026-01"} and profile.order_count == 1
    store.dispose()
