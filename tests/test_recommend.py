"""Product recommendations: item-item filtering, its evaluation and the interactions read."""

from datetime import datetime, timedelta

import joblib
import numpy as np
import pandas as pd
import pytest

from personalization.demo_data import generate, load
from personalization.recommend import (
    POPULAR,
    SIMILAR,
    ItemItemRecommender,
    hit_rate_at_k,
    split_last_purchase,
)
from personalization.store.interactions import (
    empty_interactions,
    iter_interactions,
    load_interactions,
)

NOW = datetime(2026, 11, 27)
T0 = datetime(2026, 1, 1)
COLUMNS = ["customer_id", "product_id", "kind", "quantity", "at"]


def frame(rows: list[tuple]) -> pd.DataFrame:
    """(customer, product, kind, day) rows as an interactions frame."""
    return pd.DataFrame(
        [(c, p, kind, 1, T0 + timedelta(days=day)) for c, p, kind, day in rows], columns=COLUMNS
    )


def planted(customers_per_group: int = 100, seed: int = 3) -> pd.DataFrame:
    """3 groups of 10 products; each customer views and buys 4 products of one group, one
    per order, on different days."""
    rng = np.random.default_rng(seed)
    rows = []
    for g, group in enumerate("ABC"):
        for n in range(customers_per_group):
            customer = f"{group}{n:03d}"
            for day, item in enumerate(rng.choice(10, size=4, replace=False)):
                rows.append((customer, f"{group}{item}", "view", 2 * day))
                rows.append((customer, f"{group}{item}", "purchase", 2 * day + 1))
            other = "ABC"[(g + 1) % 3]  # a little noise: one stray view in another group
            rows.append((customer, f"{other}{rng.integers(10)}", "view", 3))
    return frame(rows)


def demo_interactions(data) -> pd.DataFrame:
    """What the store holds as interactions, straight from the generated frames."""
    orders = data.orders.loc[data.orders.status != "cancelled",
                             ["order_id", "customer_id", "placed_at"]]  # fmt: skip
    items = data.order_items.merge(orders, on="order_id")
    views = data.events[data.events.name == "Product Viewed"]
    return pd.concat([
        pd.DataFrame({"customer_id": items.customer_id, "product_id": items.product_id,
                      "kind": "purchase", "quantity": items.quantity, "at": items.placed_at}),
        pd.DataFrame({"customer_id": views.customer_id,
                      "product_id": [p["product_id"] for p in views.properties],
                      "kind": "view", "quantity": 1, "at": views.timestamp}),
    ], ignore_index=True)[COLUMNS]  # fmt: skip


def ordered(df: pd.DataFrame) -> pd.DataFrame:
    df = df[COLUMNS].astype({"quantity": "int64", "at": "datetime64[ns]"})
    return df.sort_values(COLUMNS).reset_index(drop=True)


def test_planted_co_purchases_beat_popularity_and_stay_in_the_group():
    interactions = planted()
    result = hit_rate_at_k(interactions, k=5)
    print(result)
    assert result.customers == 300
    assert result.hit_rate > 0.5
    assert result.hit_rate > 2 * result.popularity_hit_rate
    model = ItemItemRecommender().fit(interactions)
    recommendations = model.recommend("A007", k=5)
    bought = set(interactions.query("customer_id == 'A007' and kind == 'purchase'").product_id)
    assert len(recommendations) == 5
    assert all(r.product_id.startswith("A") and r.reason == SIMILAR for r in recommendations)
    assert not bought & {r.product_id for r in recommendations}
    assert [r.score for r in recommendations] == sorted((r.score for r in recommendations),
                                                        reverse=True)  # fmt: skip


def test_unknown_customers_and_customers_without_history_get_the_popular_products():
    interactions = frame([
        ("a", "P3", "purchase", 1), ("b", "P3", "purchase", 2), ("b", "P2", "purchase", 3),
        ("c", "P1", "purchase", 4), ("d", "P4", "view", 5), ("e", "P9", "view", 6),
    ])  # fmt: skip
    model = ItemItemRecommender().fit(interactions, view_weight=0.0)
    popular = model.recommend("nobody", k=3)
    assert [r.product_id for r in popular] == ["P3", "P1", "P2"]  # P1 before P2: a tie
    assert all(r.reason == POPULAR for r in popular)
    assert popular[0].score == pytest.approx(0.5)  # share of purchases
    assert model.recommend("d", k=3) == popular  # only a view, weighted 0: no history
    assert [r.product_id for r in model.recommend("nobody", k=10)] == [
        "P3", "P1", "P2", "P4", "P9"]  # never purchased: last, by product_id  # fmt: skip


def test_only_views_purchased_items_and_short_lists():
    interactions = frame([
        ("a", "P1", "purchase", 1), ("a", "P2", "purchase", 2), ("b", "P1", "purchase", 1),
        ("b", "P2", "purchase", 3), ("c", "P1", "view", 1), ("d", "P3", "purchase", 1),
    ])  # fmt: skip
    model = ItemItemRecommender().fit(interactions)
    viewer = model.recommend("c", k=2)
    assert viewer[0].product_id == "P2" and viewer[0].reason == SIMILAR
    assert viewer[1].reason == POPULAR  # the list is filled up with popular products
    a = model.recommend("a", k=5)
    assert [r.product_id for r in a] == ["P3"]  # P1 and P2 bought; nothing else exists
    kept = model.recommend("a", k=5, exclude_purchased=False)
    assert {r.product_id for r in kept} == {"P1", "P2", "P3"}
    assert model.recommend("a", k=0) == []
    many = model.recommend_many(["a", "c", "zz", "c"], k=2)
    assert list(many) == ["a", "c", "zz"] and many["c"] == viewer


def test_recommendations_are_deterministic_and_survive_a_joblib_round_trip(tmp_path):
    interactions = planted(customers_per_group=30)
    first = ItemItemRecommender().fit(interactions)
    shuffled = interactions.sample(frac=1.0, random_state=5).reset_index(drop=True)
    second = ItemItemRecommender().fit(shuffled)
    ids = sorted(interactions.customer_id.unique()) + ["unknown"]
    expected = first.recommend_many(ids, k=5)
    assert second.recommend_many(ids, k=5) == expected
    joblib.dump(first, tmp_path / "model.joblib")
    restored = joblib.load(tmp_path / "model.joblib")
    assert restored.recommend_many(ids, k=5) == expected
    assert restored.recommend("B010") == expected["B010"]


def test_fitting_nothing_is_a_clear_error():
    with pytest.raises(ValueError, match="No interactions"):
        ItemItemRecommender().fit(empty_interactions())
    with pytest.raises(ValueError, match="lacks the column"):
        ItemItemRecommender().fit(pd.DataFrame())
    with pytest.raises(ValueError, match="Unknown interaction kinds"):
        ItemItemRecommender().fit(frame([("a", "P1", "wishlist", 1)]))
    with pytest.raises(RuntimeError, match="not fitted"):
        ItemItemRecommender().recommend("a")


def test_the_split_holds_out_the_last_purchase_and_everything_after_it():
    interactions = frame([
        ("a", "P1", "purchase", 1), ("a", "P2", "view", 2), ("a", "P2", "purchase", 3),
        ("a", "P3", "purchase", 3), ("a", "P4", "view", 4),  # last order: P2 and P3
        ("b", "P1", "purchase", 1), ("b", "P2", "purchase", 1),  # one order only
        ("c", "P1", "purchase", 1), ("c", "P9", "purchase", 2),  # P9: nobody else has it
    ])  # fmt: skip
    training, held_out = split_last_purchase(interactions)
    assert held_out.values.tolist() == [["a", "P3"], ["c", "P9"]]
    assert sorted(training.query("customer_id == 'a'").product_id) == ["P1", "P2"]
    assert len(training.query("customer_id == 'b'")) == 2
    result = hit_rate_at_k(interactions, k=1)
    assert result.customers == 2 and result.hit_rate <= 0.5  # P9 is never recommended
    assert "hit rate@1 over 2 customers" in str(result)


def test_interactions_read_from_the_store_match_the_demo_data(store):
    data = generate(300, seed=1, now=NOW)
    load(store, data, progress=False)
    with store.begin() as conn:
        chunks = list(iter_interactions(conn, chunk_rows=250))
        everything = load_interactions(conn)
    assert len(chunks) > 4 and all(0 < len(chunk) <= 250 for chunk in chunks)
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), everything)
    assert list(everything.columns) == COLUMNS
    expected = demo_interactions(data)
    assert (data.orders.status == "cancelled").any()  # so leaving them out is tested
    for kind in ("purchase", "view"):
        pd.testing.assert_frame_equal(ordered(everything[everything.kind == kind]),
                                      ordered(expected[expected.kind == kind]))  # fmt: skip


def test_views_without_a_product_are_skipped(store):
    from personalization.store.tracking import store_events

    with store.begin() as conn:
        assert load_interactions(conn).empty
        store_events(conn, [
            {"message_id": f"m{i}", "customer_id": "c1", "type": "track",
             "name": "Product Viewed", "properties": props, "timestamp": T0}
            for i, props in enumerate([{"product_id": "P1"}, {}, {"product_id": None},
                                       {"product_id": 42}, {"name": "x"}])
        ])  # fmt: skip
        views = load_interactions(conn)
    assert views.product_id.tolist() == ["P1", "42"] and set(views.kind) == {"view"}


def test_on_the_demo_data_the_model_beats_popularity():
    interactions = demo_interactions(generate(3000, seed=1, now=NOW))
    result = hit_rate_at_k(interactions, k=5)
    print(f"demo data, 3,000 customers: {result}")
    assert result.customers > 1000
    assert result.hit_rate > 1.2 * result.popularity_hit_rate
    model = ItemItemRecommender().fit(interactions)
    recommendations = model.recommend_many(interactions.customer_id.unique(), k=5)
    assert all(len(r) == 5 for r in recommendations.values())
