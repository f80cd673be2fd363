"""The synthetic demo store: shape, determinism, integrity, loading, and real signal."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sqlalchemy import func, select

from personalization.demo_data import CATEGORIES, PERSONAS, generate, load
from personalization.store import schema as t
from personalization.store.bulk import bulk_load
from personalization.store.commerce import ORDER_STATUSES
from personalization.store.tracking import consented, record_consent
from tests.commands import personalization_cli

NOW = datetime(2026, 11, 27)


@pytest.fixture(scope="module")
def data():
    return generate(5000, seed=7, now=NOW)


@pytest.fixture(scope="module")
def behaviour(data) -> pd.DataFrame:
    """Per customer: the label and the behaviour a churn model would use."""
    c = data.customers.set_index("customer_id")
    orders = data.orders.groupby("customer_id").agg(
        orders=("order_id", "size"), last_order=("placed_at", "max"))
    tickets = data.tickets.assign(csat=data.tickets.csat.astype(float)).groupby("customer_id").agg(
        tickets=("ticket_id", "size"), escalations=("escalated", "sum"), csat=("csat", "mean"))
    frame = c[["churned", "account_tier", "signup_date"]].join(orders).join(tickets)
    frame[["orders", "tickets", "escalations"]] = frame[
        ["orders", "tickets", "escalations"]].fillna(0)
    frame["days_since_order"] = (NOW - frame.last_order.fillna(frame.signup_date)).dt.days
    frame["tenure_days"] = (NOW - frame.signup_date).dt.days
    return frame


def count(store, table) -> int:
    with store.begin() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_frames_have_exactly_the_columns_of_the_tables(data):
    for name, frame in data.tables().items():
        assert list(frame.columns) == [c.name for c in t.metadata.tables[name].columns], name
    assert 150 <= len(data.products) <= 250
    assert set(data.products.category) == set(CATEGORIES)
    assert len(data.customers) == 5000


def test_the_same_seed_gives_the_same_frames_and_another_seed_others():
    first, again = generate(300, seed=3, now=NOW), generate(300, seed=3, now=NOW)
    other = generate(300, seed=4, now=NOW)
    for name, frame in first.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], obj=name)
    pd.testing.assert_frame_equal(first.truth, again.truth)
    assert not first.customers.name.equals(other.customers.name)
    assert not first.orders.order_id.equals(other.orders.order_id)
    assert set(first.events.message_id).isdisjoint(other.events.message_id)


def test_every_reference_holds_and_ids_are_unique(data):
    customers = set(data.customers.customer_id)
    assert data.customers.customer_id.is_unique and data.customers.email.is_unique
    for name in ("preferences", "orders", "tickets", "events", "consent_records",
                 "consent_state"):  # fmt: skip
        assert set(data.tables()[name].customer_id) <= customers, name
    orders, items = data.orders, data.order_items
    assert orders.order_id.is_unique and orders.order_id.str.fullmatch(r"\d{8}").all()
    assert set(items.order_id) == set(orders.order_id)  # and every order has an item
    assert set(items.product_id) <= set(data.products.product_id)
    assert not items.duplicated(["order_id", "product_id"]).any() and (items.quantity >= 1).all()
    assert data.tickets.ticket_id.is_unique and data.events.message_id.is_unique
    assert not data.consent_state.duplicated(["customer_id", "purpose"]).any()


def test_order_totals_are_the_sums_of_their_items(data):
    cents = (data.order_items.unit_price * 100).round().astype(int) * data.order_items.quantity
    sums = cents.groupby(data.order_items.order_id).sum()
    totals = (data.orders.set_index("order_id").total * 100).round().astype(int)
    pd.testing.assert_series_equal(totals.sort_index(), sums.sort_index(), check_names=False)
    assert set(data.orders.status) <= set(ORDER_STATUSES) and (data.orders.currency == "EUR").all()
    assert data.orders.shipping_address.map(lambda a: {"line1", "city", "country"} <= set(a)).all()


def test_times_are_in_order(data):
    signup = data.customers.set_index("customer_id").signup_date
    orders, tickets = data.orders, data.tickets
    assert (orders.placed_at >= orders.customer_id.map(signup)).all()
    assert (orders.updated_at >= orders.placed_at).all() and (orders.updated_at <= NOW).all()
    assert (tickets.created_at >= tickets.customer_id.map(signup)).all()
    resolved = tickets.resolved_at.notna()
    assert (tickets.resolved_at[resolved] >= tickets.created_at[resolved]).all()
    assert tickets.csat[~resolved].isna().all() and tickets.csat.dropna().between(1, 5).all()
    events = data.events
    assert (events.timestamp <= NOW).all() and (events.received_at >= events.timestamp).all()
    churned_at = data.truth.set_index("customer_id").churned_at
    assert (orders.placed_at < orders.customer_id.map(churned_at).fillna(pd.Timestamp(NOW))).all()


def test_distributions_are_plausible(data):
    c = data.customers
    assert 0.20 <= c.churned.mean() <= 0.27
    tiers = c.account_tier.value_counts(normalize=True)
    assert tiers.idxmax() == "Free" and tiers.idxmin() == "Business" and tiers["Business"] < 0.08
    assert c.birth_year.between(1945, 2007).all() and c.age_band.notna().all()
    assert (c.signup_date >= pd.Timestamp(NOW) - pd.Timedelta(days=4 * 366)).all()
    eu = {"DE", "FR", "ES", "IT", "NL", "PL", "BE", "AT", "PT", "SE", "IE", "CZ", "DK", "GR", "FI"}
    assert c.country.isin(eu).mean() > 0.8
    assert c.attributes.map(lambda a: a["contract"]).isin(["none", "monthly", "annual"]).all()
    first_grants = data.consent_records.drop_duplicates("customer_id")
    assert 0.8 <= first_grants.granted.sum() / len(c) <= 0.9
    assert set(data.tickets.category) == {"delivery", "refund", "payment", "account", "product",
                                          "complaint"}  # fmt: skip
    assert {"Product Viewed", "Product Added", "Order Completed", "Page Viewed",
            "Feature Used"} == set(data.events.name)  # fmt: skip


def test_consent_state_is_the_latest_record_and_only_consenting_customers_are_tracked(data):
    latest = (data.consent_records.sort_values("recorded_at", kind="stable")
              .drop_duplicates(["customer_id", "purpose"], keep="last"))  # fmt: skip
    state = data.consent_state
    merged = state.merge(latest, on=["customer_id", "purpose"], suffixes=("", "_record"))
    assert len(merged) == len(state) == len(latest)
    assert (merged.granted == merged.granted_record).all()
    assert (merged.recorded_at == merged.recorded_at_record).all()
    assert ((data.consent_records.notice_version == "2026-01")
            & data.consent_records.channel.isin(["web", "email", "chat"])).all()  # fmt: skip
    withdrawn = data.consent_records.groupby("customer_id").granted.agg(["first", "last"])
    assert ((withdrawn["first"]) & ~withdrawn["last"]).any()
    tracked = set(state.customer_id[state.granted])
    assert set(data.events.customer_id) <= tracked


def test_a_loaded_store_gives_back_full_profiles(store):
    data = generate(200, seed=5, now=NOW)
    counts = load(store, data, progress=False)
    assert counts == data.row_counts()
    for name, frame in data.tables().items():
        assert count(store, t.metadata.tables[name]) == len(frame), name

    busy = data.tickets.customer_id.value_counts().index
    with_orders = data.orders.customer_id.value_counts()
    customer_id = next(c for c in with_orders.index if c in set(busy))
    row = data.customers.set_index("customer_id").loc[customer_id]
    profile = store.profile(customer_id)
    assert (profile.name, profile.email, profile.account_tier) == (row["name"], row.email,
                                                                    row.account_tier)
    assert profile.signup_date == row.signup_date.date() and isinstance(profile.signup_date, date)
    assert profile.attributes == row.attributes
    prefs = data.preferences.set_index("customer_id").loc[customer_id]
    assert profile.tone == prefs.tone and profile.product_interests == tuple(
        prefs.product_interests)
    orders = data.orders[data.orders.customer_id == customer_id].nlargest(5, "placed_at")
    assert [o.order_id for o in profile.recent_orders] == list(orders.order_id)
    newest = profile.recent_orders[0]
    items = data.order_items[data.order_items.order_id == newest.order_id]
    assert newest.items == tuple(sorted(zip(items.product_id, items.quantity, strict=True)))
    assert newest.total == pytest.approx(orders.total.iloc[0])
    tickets = data.tickets[data.tickets.customer_id == customer_id].nlargest(5, "created_at")
    assert [k.ticket_id for k in profile.recent_tickets] == list(tickets.ticket_id)
    assert [k.csat for k in profile.recent_tickets] == [
        None if pd.isna(v) else int(v) for v in tickets.csat]
    states = data.consent_state[data.consent_state.customer_id == customer_id]
    assert profile.consent == dict(zip(states.purpose, states.granted, strict=True))

    # ids of events and consent records came from the database, which keeps numbering them
    with store.begin() as conn:
        record_consent(conn, customer_id, "marketing", True, "chat", "2026-01")
        assert consented(conn, [customer_id], "marketing") == {customer_id}
        stored = conn.execute(select(t.events).order_by(t.events.c.id).limit(1)).mappings().one()
    first = data.events.iloc[0]
    assert stored["message_id"] == first.message_id and stored["properties"] == first.properties


def test_loading_into_a_store_with_customers_is_refused(store):
    data = generate(50, seed=9, now=NOW)
    load(store, data, progress=False)
    with pytest.raises(ValueError, match="already has customers"):
        load(store, generate(50, seed=10, now=NOW), progress=False)
    assert count(store, t.customers) == 50


def test_bulk_load_turns_pandas_values_into_database_values(store):
    berlin = pd.to_datetime(["2024-01-05 10:00", "2024-07-01 12:00", "2024-01-07 00:00"])
    frame = pd.DataFrame({
        "customer_id": ["a", "b", "c"],
        "name": ["Ada", None, np.nan],
        "birth_year": np.array([np.int64(1980), np.float64("nan"), 1990], dtype=object),
        "age_band": pd.array(["35-44", pd.NA, "25-34"], dtype="string"),
        "signup_date": pd.to_datetime(["2024-01-05", None, "2025-02-03"]),
        "churned": pd.array([True, None, False], dtype="boolean"),
        "attributes": [{"contract": "annual", "spend": 1.5}, {}, {"tags": ["x"]}],
        "created_at": np.array([pd.Timestamp("2024-01-05 10:00"), pd.Timestamp("2024-01-06"),
                                pd.Timestamp("2024-01-07")], dtype=object),
        "updated_at": berlin.tz_localize("Europe/Berlin"),
    })  # fmt: skip
    chunks: list[int] = []
    with store.begin() as conn:
        assert bulk_load(conn, t.customers, frame, chunk_rows=2, progress=chunks.append) == 3
        rows = {r.customer_id: r for r in conn.execute(select(t.customers))}
    assert chunks == [2, 1]
    a, b, c = rows["a"], rows["b"], rows["c"]
    assert (a.name, a.birth_year, a.age_band, a.signup_date) == ("Ada", 1980, "35-44",
                                                                 date(2024, 1, 5))
    assert (b.name, b.birth_year, b.age_band, b.signup_date, b.churned) == (None,) * 5
    assert (a.churned, c.churned, c.name, c.birth_year) == (True, False, None, 1990)
    assert a.attributes == {"contract": "annual", "spend": 1.5} and c.attributes == {"tags": ["x"]}
    assert a.created_at == datetime(2024, 1, 5, 10)
    assert (a.updated_at, b.updated_at) == (datetime(2024, 1, 5, 9), datetime(2024, 7, 1, 10))
    with store.begin() as conn, pytest.raises(ValueError, match="no column"):
        bulk_load(conn, t.customers, pd.DataFrame({"customer_id": ["d"], "shoe_size": [42]}))


def test_churned_customers_behave_differently(behaviour):
    by_label = behaviour.groupby("churned")[
        ["tickets", "escalations", "csat", "days_since_order", "orders"]].mean()
    stayed, left = by_label.loc[False], by_label.loc[True]
    assert left.tickets > stayed.tickets and left.escalations > stayed.escalations
    assert left.csat < stayed.csat
    assert left.days_since_order > stayed.days_since_order + 60
    assert left.orders < stayed.orders


def test_a_simple_model_predicts_churn_from_behaviour(behaviour):
    features = pd.DataFrame({
        "orders": np.log1p(behaviour.orders),
        "days_since_order": np.log1p(behaviour.days_since_order),
        "tenure": np.log1p(behaviour.tenure_days),
        "tickets": behaviour.tickets,
        "escalations": behaviour.escalations,
        "csat": behaviour.csat.fillna(4.0) - 4.0,
        "free": (behaviour.account_tier == "Free").astype(int),
    })  # fmt: skip
    x_train, x_test, y_train, y_test = train_test_split(
        features, behaviour.churned, test_size=0.3, random_state=0, stratify=behaviour.churned)
    model = LogisticRegression(max_iter=1000).fit(x_train, y_train)
    assert roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]) > 0.75


def test_purchases_follow_persona_affinities(data):
    items = (data.order_items.merge(data.orders[["order_id", "customer_id"]])
             .merge(data.products[["product_id", "category"]])
             .merge(data.truth[["customer_id", "persona"]]))  # fmt: skip
    top = {p.name: set(p.top_categories(3)) for p in PERSONAS}
    pairs = zip(items.category, items.persona, strict=True)
    in_affinity = np.mean([category in top[persona] for category, persona in pairs])
    overall = items.category.value_counts(normalize=True)
    personas = items.persona.value_counts(normalize=True)
    chance = sum(share * overall[list(top[p])].sum() for p, share in personas.items())
    assert in_affinity > chance + 0.25
    stated = data.preferences.set_index("customer_id").product_interests
    pairs = zip(items.category, items.customer_id, strict=True)
    in_stated = np.mean([category in stated[customer] for category, customer in pairs])
    assert in_stated > 0.5


def test_viewed_products_are_bought_far_more_often(data):
    views = data.events[data.events.name == "Product Viewed"]
    viewed_products = views.properties.map(lambda p: p["product_id"])
    viewed = set(zip(views.customer_id, viewed_products, strict=True))
    tracked = set(views.customer_id)
    items = data.order_items.merge(data.orders[["order_id", "customer_id"]])
    bought = {pair for pair in zip(items.customer_id, items.product_id, strict=True)
              if pair[0] in tracked}
    buy_if_viewed = len(viewed & bought) / len(viewed)
    unviewed = len(tracked) * len(data.products) - len(viewed)
    buy_if_not = len(bought - viewed) / unviewed
    assert buy_if_viewed > 20 * buy_if_not


def test_the_demo_data_command(tmp_path):
    command = personalization_cli(f"sqlite:///{tmp_path / 'p.db'}")

    not_ready = command("demo-data", "--customers", "40")
    assert not_ready.returncode == 2 and "db upgrade" in not_ready.stderr
    assert command("db", "upgrade").returncode == 0
    done = command("demo-data", "--customers", "40", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "40 customers" in done.stdout
    again = command("demo-data", "--customers", "40", "--if-empty")
    assert again.returncode == 0 and "already holds 40 customers" in again.stdout
    refused = command("demo-data", "--customers", "40")
    assert refused.returncode == 2 and "already has customers" in refused.stderr
    zero = command("demo-data", "--customers", "0")
    assert zero.returncode == 2 and "at least 1" in zero.stderr
