"""The shared feature pipeline: store -> feature frame -> numeric matrix."""

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from personalization.demo_data import generate, load
from personalization.features import LABEL, FeaturePipeline, read_features
from personalization.hashing import IdHasher
from personalization.imports.mapping import load_mapping
from personalization.imports.runner import run_import
from tests.test_imports import MAPPINGS, TELECOM_HEADER, telecom_rows, write_csv

NOW = datetime(2026, 11, 27)


@pytest.fixture
def demo(store):
    data = generate(300, seed=4, now=NOW)
    load(store, data, progress=False)
    return data


def test_features_say_what_the_store_holds(store, demo):
    frame = read_features(store, now=NOW)
    assert list(frame.index) == sorted(demo.customers.customer_id)
    orders = demo.orders.groupby("customer_id").agg(n=("order_id", "size"), spend=("total", "sum"))
    busy = orders.n.idxmax()
    row = frame.loc[busy]
    assert (row.orders, round(row.spend, 2)) == (orders.n[busy], round(orders.spend[busy], 2))
    last = demo.orders[demo.orders.customer_id == busy].placed_at.max()
    assert row.days_since_last_order == pytest.approx((pd.Timestamp(NOW) - last).days, abs=1)
    tickets = demo.tickets[demo.tickets.customer_id == busy]
    assert row.tickets == len(tickets) and row.escalated_tickets == tickets.escalated.sum()
    views = demo.events[(demo.events.customer_id == busy) & (demo.events.name == "Product Viewed")]
    assert row.events_product_viewed == len(views)
    churned = demo.customers.set_index("customer_id").churned
    assert (frame[LABEL] == churned.reindex(frame.index)).all()

    idle = sorted(set(demo.customers.customer_id) - set(demo.orders.customer_id)
                  - set(demo.tickets.customer_id))[0]  # fmt: skip
    assert (frame.loc[idle, ["orders", "spend", "tickets", "escalation_rate"]] == 0).all()
    assert np.isnan(frame.loc[idle, "mean_csat"])  # never rated: a gap, not a zero


def test_reading_in_chunks_gives_the_same_frame(store, demo):
    whole = read_features(store, now=NOW)
    chunked = read_features(store, now=NOW, chunk_customers=37)
    pd.testing.assert_frame_equal(chunked[whole.columns], whole, check_dtype=False)


def test_the_pipeline_gives_every_chunk_the_columns_of_training(store, demo):
    frame = read_features(store, now=NOW)
    pipeline = FeaturePipeline().fit(frame)
    matrix = pipeline.transform(frame)
    assert not matrix.isna().any().any() and list(matrix.columns) == pipeline.feature_names_
    assert matrix["spend"].mean() == pytest.approx(0, abs=1e-9)
    assert matrix["spend"].std(ddof=0) == pytest.approx(1)
    assert "account_tier=Premium" in matrix.columns

    part = frame.iloc[:10].drop(columns=[c for c in frame.columns if c.startswith("tickets_")])
    part.loc[part.index[0], "account_tier"] = "Platinum"  # never seen in training
    scored = pipeline.transform(part)
    assert list(scored.columns) == pipeline.feature_names_
    unscaled = pipeline.transform_unscaled(part)
    assert (unscaled.filter(like="tickets_") == 0).all().all()  # absent counts are 0
    assert unscaled.loc[part.index[0], "account_tier=other"] == 1
    same = [c for c in matrix.columns if not c.startswith(("tickets_", "account_tier="))]
    pd.testing.assert_frame_equal(scored.iloc[1:][same], matrix.iloc[1:10][same])


def test_knn_imputation_and_bad_settings(store, demo):
    frame = read_features(store, now=NOW)
    knn = FeaturePipeline(imputation="knn").fit(frame).transform_unscaled(frame)
    median = FeaturePipeline().fit(frame).transform_unscaled(frame)
    never_rated = frame.mean_csat.isna()
    assert knn.mean_csat[never_rated].nunique() > 1  # from similar customers
    assert median.mean_csat[never_rated].nunique() == 1
    with pytest.raises(ValueError, match="imputation must be one of"):
        FeaturePipeline(imputation="mean").fit(frame)
    with pytest.raises(ValueError, match="no customers"):
        FeaturePipeline().fit(frame.iloc[:0])


def test_a_crm_export_alone_makes_features(store, tmp_path):
    source = write_csv(tmp_path / "telco.csv", TELECOM_HEADER, telecom_rows())
    run_import(source, load_mapping(MAPPINGS / "telecom_crm.yml"), store,
               IdHasher(b"k" * 32), progress=False)  # fmt: skip
    frame = read_features(store, now=NOW)
    assert len(frame) == 3 and frame[LABEL].tolist() == [True, False, False]
    assert frame.attr_monthlycharges.tolist() == [53.85, 56.95, 29.85]
    assert np.isnan(frame.attr_totalcharges.iloc[0])  # blank in the export
    assert set(frame.attr_contract) == {"Two year", "One year", "Month-to-month"}
    matrix = FeaturePipeline().fit(frame).transform(frame)
    assert not matrix.isna().any().any()
    assert {"attr_tenure", "attr_totalcharges", "attr_contract=Two year"} <= set(matrix.columns)


def test_long_tailed_columns_are_scaled_on_a_log_scale(store, demo):
    frame = read_features(store, now=NOW)
    pipeline = FeaturePipeline().fit(frame)
    assert {"spend", "events_total"} <= set(pipeline.logged_)
    assert "age" not in pipeline.logged_  # not long-tailed
    logged = np.log1p(frame.spend)
    expected = (logged - logged.mean()) / logged.std(ddof=0)
    np.testing.assert_allclose(pipeline.transform(frame).spend, expected)
    plain = FeaturePipeline(log_skewed=False).fit(frame)
    assert plain.logged_ == []
