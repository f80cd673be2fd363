import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.impute import KNNImputer
from sklearn.pipeline import Pipeline

from personalization.cleaning import (
    DeduplicateById,
    KNNImputerFrame,
    MedianModeImputer,
    Scaler,
    to_numeric_frame,
)

NAN = np.nan


def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "spend": [10.0, 40.0, NAN, 20.0, 1000.0],
            "plan": ["pro", "basic", "basic", None, "basic"],
            "vip": [True, False, None, False, False],
        },
        index=["c1", "c2", "c3", "c4", "c5"],
    )


# --- MedianModeImputer -------------------------------------------------------------------


def test_median_for_numbers_mode_for_the_rest():
    out = MedianModeImputer().fit_transform(customers())

    # median of 10, 20, 40, 1000 is 30 (the mean, 267.5, would be dragged up by 1000)
    assert out["spend"].tolist() == [10.0, 40.0, 30.0, 20.0, 1000.0]
    assert out["plan"].tolist() == ["pro", "basic", "basic", "basic", "basic"]
    assert out["vip"].tolist() == [True, False, False, False, False]
    assert list(out.index) == ["c1", "c2", "c3", "c4", "c5"]
    assert list(out.columns) == ["spend", "plan", "vip"]


def test_learned_values_fill_gaps_that_appear_only_in_a_later_frame():
    train = pd.DataFrame({"spend": [1.0, 2.0, 3.0, 100.0], "plan": ["a", "b", "b", "c"]})
    later = pd.DataFrame({"plan": [None, "a"], "spend": [NAN, 7.0]}, index=[10, 11])

    imputer = MedianModeImputer().fit(train)
    out = imputer.transform(later)

    assert imputer.statistics_ == {"spend": 2.5, "plan": "b"}
    assert out["spend"].tolist() == [2.5, 7.0]
    assert out["plan"].tolist() == ["b", "a"]
    assert list(out.index) == [10, 11]
    assert list(out.columns) == ["plan", "spend"]


def test_nullable_integer_and_categorical_columns_are_filled():
    frame = pd.DataFrame(
        {
            "tickets": pd.Series([1, 4, None], dtype="Int64"),
            "tier": pd.Series(["gold", None, "gold"], dtype="category"),
        }
    )
    out = MedianModeImputer().fit_transform(frame)

    assert out["tickets"].tolist() == [1.0, 4.0, 2.5]
    assert out["tier"].tolist() == ["gold", "gold", "gold"]
    assert out["tier"].dtype == "category"


def test_a_column_with_no_values_is_an_error_naming_it():
    frame = customers().assign(notes=[None] * 5)

    with pytest.raises(ValueError, match="notes"):
        MedianModeImputer().fit(frame)


def test_drop_empty_drops_the_column_with_no_values():
    frame = customers().assign(notes=[NAN] * 5)

    imputer = MedianModeImputer(drop_empty=True).fit(frame)
    out = imputer.transform(frame)

    assert imputer.dropped_columns_ == ["notes"]
    assert list(out.columns) == ["spend", "plan", "vip"]
    assert list(imputer.get_feature_names_out()) == ["spend", "plan", "vip"]
    assert out.isna().sum().sum() == 0


def test_transform_wants_the_columns_seen_in_fit():
    imputer = MedianModeImputer().fit(customers())

    with pytest.raises(ValueError, match="vip"):
        imputer.transform(customers().drop(columns="vip"))
    with pytest.raises(ValueError, match="extra"):
        imputer.transform(customers().assign(extra=1))
    with pytest.raises(TypeError, match="DataFrame"):
        imputer.transform(customers().to_numpy())


# --- KNNImputerFrame ---------------------------------------------------------------------

# Tickets run 1..10, spend in the thousands. On raw values the nearest customers to q are
# c and d (spend 2000 and 2100 vs 2050); once both columns are z-scored the ticket gap
# (1.5 vs 9 and 10) counts and the nearest are b and a.
#
# z-scoring with the five rows: tickets mean 4.7, std 3.945; spend mean 2030, std 633.7.
# Distances from q over (tickets, spend):
#   a: (0.5/3.945, 1050/633.7) -> 1.66    b: (0.5/3.945, 950/633.7) -> 1.50
#   c: (7.5/3.945,   50/633.7) -> 1.90    d: (8.5/3.945, 50/633.7)  -> 2.16
KNN_ROWS = pd.DataFrame(
    {
        "tickets": [1.0, 2.0, 9.0, 10.0, 1.5],
        "plan": ["basic", "pro", None, "pro", "basic"],
        "spend": [1000, 3000, 2000, 2100, 2050],
        "visits": [10.0, 20.0, 90.0, 100.0, NAN],
    },
    index=list("abcdq"),
)


def test_knn_fills_a_gap_with_the_mean_of_the_nearest_rows_on_scaled_features():
    out = KNNImputerFrame(n_neighbors=2).fit_transform(KNN_ROWS)

    assert out.loc["q", "visits"] == pytest.approx((10 + 20) / 2)
    pd.testing.assert_frame_equal(out.drop(index="q"), KNN_ROWS.drop(index="q"))
    assert list(out.index) == list("abcdq")
    assert list(out.columns) == ["tickets", "plan", "spend", "visits"]
    assert out["plan"].tolist() == ["basic", "pro", None, "pro", "basic"]


def test_without_scaling_the_large_column_would_decide():
    numeric = KNN_ROWS[["tickets", "spend", "visits"]].to_numpy(dtype=float)
    raw = KNNImputer(n_neighbors=2).fit_transform(numeric)

    assert raw[4, 2] == pytest.approx((90 + 100) / 2)


def test_knn_fills_unseen_gaps_in_a_later_frame_from_the_fitted_rows():
    # Fitted on a..d only: tickets mean 5.5, std 4.03; spend mean 2025, std 708.4;
    # visits mean 55, std 40.3.
    imputer = KNNImputerFrame(n_neighbors=2).fit(KNN_ROWS.drop(index="q"))
    later = pd.DataFrame(
        {
            "tickets": [1.5, NAN, 3.0],
            "plan": ["basic", "pro", "pro"],
            "spend": [2050, 2080, 1500],
            "visits": [NAN, 95.0, 30.0],
        },
        index=["q", "r", "s"],
    )
    out = imputer.transform(later)

    # q: b (1.35) and a (1.49) are nearer than c (1.86) -> visits (20 + 10) / 2.
    assert out.loc["q", "visits"] == pytest.approx(15.0)
    # r over (spend, visits): d (0.028, 0.124) and c (0.113, 0.124) -> tickets (10 + 9) / 2.
    assert out.loc["r", "tickets"] == pytest.approx(9.5)
    assert out.loc["s"].tolist() == [3.0, "pro", 1500, 30.0]
    assert later["visits"].isna().sum() == 1


def test_knn_defaults_to_five_neighbours_and_rejects_a_column_with_no_values():
    assert KNNImputerFrame().n_neighbors == 5
    with pytest.raises(ValueError, match="visits"):
        KNNImputerFrame().fit(KNN_ROWS.assign(visits=NAN))


# --- Scaler --------------------------------------------------------------------------------


def scale_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"a": [1, 2, 3, 4], "flat": [7.0, 7.0, 7.0, 7.0], "name": ["w", "x", "y", "z"]},
        index=[5, 6, 7, 8],
    )


def test_zscore_gives_mean_zero_std_one_and_constant_columns_zero():
    out = Scaler().fit_transform(scale_frame())

    # a: mean 2.5, population std sqrt(1.25)
    expected = [(x - 2.5) / math.sqrt(1.25) for x in [1, 2, 3, 4]]
    assert out["a"].tolist() == pytest.approx(expected)
    assert out["a"].mean() == pytest.approx(0.0)
    assert out["a"].std(ddof=0) == pytest.approx(1.0)
    assert out["flat"].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert out["name"].tolist() == ["w", "x", "y", "z"]
    assert list(out.index) == [5, 6, 7, 8]
    assert list(out.columns) == ["a", "flat", "name"]


def test_minmax_uses_the_fitted_range_on_later_frames():
    scaler = Scaler(method="minmax").fit(pd.DataFrame({"x": [10.0, 20.0, 40.0], "c": 3}))

    fitted = scaler.transform(pd.DataFrame({"x": [10.0, 20.0, 40.0], "c": 3}))
    later = scaler.transform(pd.DataFrame({"x": [25.0, 70.0, NAN], "c": [3, 3, 3]}))

    assert fitted["x"].tolist() == pytest.approx([0.0, 1 / 3, 1.0])
    assert fitted["c"].tolist() == [0.0, 0.0, 0.0]
    assert later["x"].tolist()[:2] == pytest.approx([0.5, 2.0])
    assert math.isnan(later["x"].iloc[2])


@pytest.mark.parametrize("method", ["zscore", "minmax"])
def test_inverse_transform_round_trips(method):
    frame = scale_frame()
    scaler = Scaler(method=method).fit(frame)

    back = scaler.inverse_transform(scaler.transform(frame))

    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_only_the_chosen_columns_are_scaled():
    out = Scaler(method="minmax", columns=["a"]).fit_transform(scale_frame())

    assert out["a"].tolist() == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert out["flat"].tolist() == [7.0, 7.0, 7.0, 7.0]


def test_scaler_rejects_bad_settings():
    with pytest.raises(ValueError, match="method"):
        Scaler(method="robust").fit(scale_frame())
    with pytest.raises(ValueError, match="name"):
        Scaler(columns=["name"]).fit(scale_frame())
    with pytest.raises(ValueError, match="missing"):
        Scaler(columns=["missing"]).fit(scale_frame())


# --- DeduplicateById -----------------------------------------------------------------------


def export() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 1, 1, 2, None, None, None],
            "updated": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-02-01",
                    "2024-03-01",
                    "2024-02-10",
                    "2024-02-01",
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-02",
                ]
            ),
            "plan": ["basic", "pro", "pro", "plus", "pro", "basic", "pro", "pro"],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )


def test_dedup_keeps_the_latest_row_by_date():
    dedup = DeduplicateById("customer_id", order_by="updated").fit(export())

    out = dedup.transform(export())

    # id 1: 2024-03-01 (row 12) wins; id 2: row 14 repeats row 11; no-id rows 16 and 17
    # are identical, the no-id rows 15 and 16 are different customers.
    assert list(out.index) == [12, 14, 15, 17]
    assert out.loc[12, "plan"] == "pro"
    assert dedup.removed_ == 4


def test_dedup_without_order_by_keeps_the_last_or_first_in_input_order():
    last = DeduplicateById("customer_id").fit_transform(export())
    first = DeduplicateById("customer_id", keep="first").fit_transform(export())

    assert list(last.index) == [13, 14, 15, 17]
    assert last.loc[13, "plan"] == "plus"
    assert list(first.index) == [10, 11, 15, 16]


def test_dedup_is_stateless_and_counts_each_transform():
    dedup = DeduplicateById("customer_id").fit(export())

    small = pd.DataFrame({"customer_id": [7, 7, 8]})
    assert list(dedup.transform(small).index) == [1, 2]
    assert dedup.removed_ == 1
    dedup.transform(small.iloc[:1])
    assert dedup.removed_ == 0


def test_dedup_checks_its_columns():
    with pytest.raises(ValueError, match="email"):
        DeduplicateById("email").fit(export())
    with pytest.raises(ValueError, match="seen_at"):
        DeduplicateById("customer_id", order_by="seen_at").fit(export())
    with pytest.raises(ValueError, match="keep"):
        DeduplicateById("customer_id", keep="none").fit(export())


# --- to_numeric_frame ----------------------------------------------------------------------


def test_blank_strings_are_missing_and_garbage_is_counted():
    raw = pd.DataFrame(
        {
            "TotalCharges": [" ", "1,234.5", "29.85", "", "abc", None, "12,34", " 7 "],
            "tenure": [1, 2, 3, 4, 5, 6, 7, 8],
            "name": list("abcdefgh"),
        }
    )
    out, invalid = to_numeric_frame(raw, ["TotalCharges", "tenure"])

    expected = [NAN, 1234.5, 29.85, NAN, NAN, NAN, NAN, 7.0]
    np.testing.assert_array_equal(out["TotalCharges"].to_numpy(), expected)
    assert out["TotalCharges"].dtype == "float64"
    assert out["tenure"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert out["name"].tolist() == list("abcdefgh")
    assert invalid == {"TotalCharges": 2, "tenure": 0}
    assert raw["TotalCharges"].tolist()[0] == " "


def test_to_numeric_frame_names_an_unknown_column():
    with pytest.raises(ValueError, match="Charges"):
        to_numeric_frame(pd.DataFrame({"a": [1]}), ["Charges"])


# --- sklearn conventions ---------------------------------------------------------------------


def test_imputer_and_scaler_in_a_pipeline():
    frame = pd.DataFrame({"spend": [10.0, NAN, 30.0], "plan": ["a", None, "a"]})
    pipeline = Pipeline([("impute", MedianModeImputer()), ("scale", Scaler())])

    out = pipeline.fit_transform(frame)

    # spend: gap -> median 20 -> [10, 20, 30], mean 20, population std sqrt(200 / 3)
    step = 10 / math.sqrt(200 / 3)
    assert out["spend"].tolist() == pytest.approx([-step, 0.0, step])
    assert out["plan"].tolist() == ["a", "a", "a"]
    assert list(pipeline.get_feature_names_out()) == ["spend", "plan"]
    assert pipeline.transform(frame.iloc[[1]])["spend"].tolist() == pytest.approx([0.0])


def test_knn_dedup_and_scaler_in_a_pipeline():
    frame = pd.concat([KNN_ROWS, KNN_ROWS.iloc[[0]]]).assign(
        customer_id=["a", "b", "c", "d", "q", "a"]
    )
    pipeline = Pipeline(
        [
            ("dedup", DeduplicateById("customer_id")),
            ("impute", KNNImputerFrame(n_neighbors=2)),
            ("scale", Scaler(method="minmax", columns=["visits"])),
        ]
    )
    out = pipeline.fit_transform(frame)

    # visits after imputation: 10, 20, 90, 100, 15 -> min-max over 10..100
    assert out["visits"].tolist() == pytest.approx([10 / 90, 80 / 90, 1.0, 5 / 90, 0.0])
    assert list(out.index) == ["b", "c", "d", "q", "a"]


TRANSFORMERS = [
    MedianModeImputer(),
    KNNImputerFrame(n_neighbors=2),
    Scaler(),
    Scaler(method="minmax"),
    DeduplicateById("plan"),
]


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_transform_before_fit_raises_not_fitted(transformer):
    transformer = clone(transformer)
    with pytest.raises(NotFittedError):
        transformer.transform(customers())
    with pytest.raises(NotFittedError):
        transformer.get_feature_names_out()


def test_inverse_transform_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        Scaler().inverse_transform(scale_frame())


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_input_frames_are_not_modified(transformer):
    frame = customers()
    before = frame.copy(deep=True)

    fitted = clone(transformer).fit(frame)
    out = fitted.transform(frame)
    out.iloc[0, 0] = -1

    assert fitted.fit(frame) is fitted
    pd.testing.assert_frame_equal(frame, before)
    assert list(fitted.get_feature_names_out()) == ["spend", "plan", "vip"]
