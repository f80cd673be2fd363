import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from personalization.segmentation import (
    Persona,
    PersonaFileError,
    SegmentModel,
    apply_overrides,
    describe_segments,
    fit_segments,
    load_overrides,
    plot_segments,
)

COLUMNS = ["total_spend", "orders_per_month", "tickets", "tenure_days",
           "days_since_last_order", "mean_csat", "page_views"]  # fmt: skip
# Four planted segments, in units of the within-segment spread, largest first:
# big spenders who open many tickets, new customers, lapsed unhappy ones, frequent browsers.
CENTRES = np.array([
    [7, 0, 7, 0, 0, 0, 0],
    [0, 0, 0, -7, 0, 0, 0],
    [0, 0, 0, 0, 7, -4, 0],
    [0, 7, 0, 0, 0, 0, 7],
], dtype=float)  # fmt: skip
SIZES = [1200, 800, 600, 400]
MEAN = np.array([180.0, 1.5, 1.0, 400.0, 40.0, 4.0, 30.0])
SPREAD = np.array([40.0, 0.3, 0.3, 50.0, 8.0, 0.15, 5.0])


def customers(seed: int, sizes=SIZES) -> tuple[pd.DataFrame, np.ndarray]:
    """Raw (human units) features and the planted segment of every customer."""
    z, planted = make_blobs(sizes, centers=CENTRES, cluster_std=1.0, random_state=seed)
    index = pd.Index([f"c{seed}-{i}" for i in range(len(z))], name="customer_id")
    return pd.DataFrame(MEAN + z * SPREAD, columns=COLUMNS, index=index), planted


@pytest.fixture(scope="module")
def planted():
    raw, truth = customers(seed=0)
    scaler = StandardScaler().fit(raw)
    scaled = pd.DataFrame(scaler.transform(raw), columns=COLUMNS, index=raw.index)
    return raw, scaled, truth, scaler


@pytest.fixture(scope="module")
def models(planted):
    _, scaled, _, _ = planted
    return {m: fit_segments(scaled, m) for m in ("kmeans", "agglomerative", "dbscan")}


# --- fit_segments --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["kmeans", "agglomerative"])
def test_silhouette_chooses_the_planted_four(planted, models, method):
    _, scaled, truth, _ = planted
    model = models[method]

    assert model.method == method
    assert sorted(model.silhouette_by_k) == list(range(2, 9))
    assert max(model.silhouette_by_k, key=model.silhouette_by_k.get) == 4
    assert model.k == 4
    assert adjusted_rand_score(truth, model.predict(scaled)) > 0.9
    assert 0.5 < model.silhouette <= 1
    assert model.noise_share == 0.0


def test_dbscan_finds_the_four_groups_too(planted, models):
    _, scaled, truth, _ = planted
    model = models["dbscan"]

    assert model.k == 4
    assert adjusted_rand_score(truth, model.predict(scaled)) > 0.8
    assert list(model.silhouette_by_k) == [4]
    assert model.silhouette_by_k[4] == model.silhouette > 0.5
    assert 0.0 <= model.noise_share < 0.2
    assert model.params["eps"] > 0


@pytest.mark.parametrize("method", ["kmeans", "agglomerative", "dbscan"])
def test_segments_are_numbered_by_size_and_centroids_line_up(planted, models, method):
    _, scaled, truth, _ = planted
    model = models[method]
    labels = model.predict(scaled)

    assert list(model.centroids.index) == [0, 1, 2, 3]
    assert list(model.centroids.columns) == model.columns == COLUMNS
    assert np.bincount(labels).tolist() == SIZES  # planted sizes are already largest first
    assert (labels == truth).mean() > 0.99


def test_predict_on_new_customers_agrees_with_the_fit(planted, models):
    _, scaled, truth, scaler = planted
    model = models["kmeans"]
    fitted = model.predict(scaled)
    segment_of = {p: np.bincount(fitted[truth == p]).argmax() for p in range(4)}

    new_raw, new_truth = customers(seed=1, sizes=[100, 100, 100, 100])
    new = pd.DataFrame(scaler.transform(new_raw), columns=COLUMNS)
    expected = np.array([segment_of[p] for p in new_truth])

    assert (model.predict(new) == expected).mean() > 0.99


def test_predict_in_chunks_and_in_any_column_order(planted, models):
    _, scaled, _, _ = planted
    model = models["agglomerative"]
    whole = model.predict(scaled)

    chunks = [model.predict(scaled.iloc[i : i + 700]) for i in range(0, len(scaled), 700)]
    assert np.array_equal(np.concatenate(chunks), whole)
    shuffled = scaled[COLUMNS[::-1]].assign(extra=1.0)
    assert np.array_equal(model.predict(shuffled), whole)
    assert whole.dtype.kind == "i"


def test_joblib_round_trip_predicts_the_same(planted, models, tmp_path):
    _, scaled, _, _ = planted
    for method, model in models.items():
        joblib.dump(model, tmp_path / f"{method}.joblib")
        loaded = joblib.load(tmp_path / f"{method}.joblib")

        assert isinstance(loaded, SegmentModel)
        assert loaded.k == model.k and loaded.silhouette_by_k == model.silhouette_by_k
        assert np.array_equal(loaded.predict(scaled), model.predict(scaled))


def test_same_seed_same_segments(planted):
    _, scaled, _, _ = planted
    first = fit_segments(scaled, "kmeans", k_range=[3, 4], random_state=7)
    second = fit_segments(scaled, "kmeans", k_range=[3, 4], random_state=7)

    pd.testing.assert_frame_equal(first.centroids, second.centroids)
    assert first.silhouette_by_k == second.silhouette_by_k


def test_predict_names_missing_columns(planted, models):
    _, scaled, _, _ = planted
    with pytest.raises(ValueError, match="tickets.*mean_csat"):
        models["kmeans"].predict(scaled.drop(columns=["mean_csat", "tickets"]))


def test_bad_arguments_say_what_is_allowed(planted):
    _, scaled, _, _ = planted
    with pytest.raises(ValueError, match="kmeans, agglomerative, dbscan"):
        fit_segments(scaled, "spectral")
    with pytest.raises(ValueError, match="at least 9 rows"):
        fit_segments(scaled.head(5))
    with pytest.raises(ValueError, match="at least 50 rows"):
        fit_segments(scaled.head(20), "dbscan")
    with pytest.raises(ValueError, match="integers >= 2"):
        fit_segments(scaled, k_range=[1, 2])
    with pytest.raises(ValueError, match="missing or infinite.*tickets"):
        fit_segments(scaled.assign(tickets=np.nan))
    with pytest.raises(ValueError, match="numeric.*plan"):
        fit_segments(scaled.assign(plan="pro"))


# --- personas ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def personas(planted, models):
    raw, scaled, _, _ = planted
    return describe_segments(raw, models["kmeans"].predict(scaled))


def test_big_spenders_with_many_tickets_are_named_for_value_and_support(planted, personas):
    raw, scaled, truth, _ = planted
    name = personas[0].name  # the largest planted segment is segment 0

    assert "value" in name.lower() and "support" in name.lower()
    assert personas[0].size == 1200 and personas[0].share == pytest.approx(0.4)
    assert {c for c, _ in personas[0].traits[:2]} == {"total_spend", "tickets"}
    assert "EUR" in personas[0].description


def test_personas_are_unique_described_with_numbers_and_deterministic(planted, personas):
    raw, scaled, _, _ = planted
    labels = fit_segments(scaled, "kmeans").predict(scaled)

    assert len({p.name.casefold() for p in personas.values()}) == 4
    assert all(any(ch.isdigit() for ch in p.description) for p in personas.values())
    assert describe_segments(raw, labels) == personas
    assert "lapsed" in personas[2].name.lower() and "unhappy" in personas[2].name.lower()
    assert "new" in personas[1].name.lower()


def test_same_looking_segments_get_distinct_names():
    raw = pd.DataFrame({"spend": [10.0] * 50 + [100.0] * 25 + [101.0] * 25})
    labels = np.repeat([0, 1, 2], [50, 25, 25])

    names = [p.name for p in describe_segments(raw, labels).values()]

    assert names == ["Low-spend customers", "High-value customers (1)", "High-value customers (2)"]


def test_unknown_features_get_a_generic_name_with_the_readable_labels():
    raw = pd.DataFrame({"foo": [0.0] * 50 + [9.0] * 50, "bar": [5.0] * 50 + [1.0] * 50})
    labels = np.repeat([0, 1], 50)

    personas = describe_segments(raw, labels, labels_for_columns={"foo": "widget count"})

    # both differ by exactly one standard deviation: ties go by column name
    assert personas[1].name == "Segment 1: lower bar, higher widget count"
    assert personas[1].description == (
        "50 customers (50% of all). Bar 0.3x the average (1 vs 3); "
        "widget count 2.0x the average (9 vs 4.5)."
    )


# --- overrides -----------------------------------------------------------------------------


def test_an_analyst_file_renames_segments(personas, tmp_path):
    path = tmp_path / "personas.yml"
    path.write_text(
        "segments:\n"
        '  0: {name: "Loyal big spenders", description: "They buy a lot and ask a lot."}\n'
        "  2: {name: Bargain hunters}\n"
    )

    renamed = apply_overrides(personas, load_overrides(path))

    assert renamed[0].name == "Loyal big spenders"
    assert renamed[0].description == "They buy a lot and ask a lot."
    assert renamed[2].name == "Bargain hunters"
    assert renamed[2].description == personas[2].description
    assert renamed[1] == personas[1] and renamed[0].size == personas[0].size
    assert personas[0].name != "Loyal big spenders"  # the input is left alone


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("- a list\n- not a mapping\n", 1, "mapping"),
        ("segments:\n  0: {name: A}\ncolour: red\n", 3, "unknown key 'colour'"),
        ("segments:\n  0: {name: A}\n  1: {nmae: B}\n", 3, "unknown key 'nmae'"),
        ("segments:\n  0: {name: A}\n  1:\n    name: 42\n", 4, "non-empty text"),
        ("segments:\n  zero: {name: A}\n", 2, "integer"),
        ("segments:\n  0: {name: A}\n  0: {name: B}\n", 3, "twice"),
        ("segments:\n  0: {name: A}\n  9: {name: B}\n", 3, "no segment 9"),
        ("segments:\n  0: {name: A}\n\n  1: {name: a}\n", 4, "unique"),
        ("segments:\n  1: {name: x}\n  3: {name: SEGMENT_0_NAME}\n", 3, "unique"),
        ("segments:\n  0: {name: A\n  1: {name: B}\n", 3, "not valid YAML"),
    ],
)
def test_a_broken_analyst_file_names_file_and_line(personas, tmp_path, text, line, problem):
    # renaming a segment to the generated name of another, unchanged one
    text = text.replace("SEGMENT_0_NAME", f'"{personas[0].name}"')
    path = tmp_path / "personas.yml"
    path.write_text(text)

    with pytest.raises(PersonaFileError) as caught:
        apply_overrides(personas, load_overrides(path))

    message = str(caught.value)
    assert str(path) in message and f"line {line}:" in message and problem in message
    assert isinstance(caught.value, ValueError)


# --- picture -------------------------------------------------------------------------------


def test_the_picture_is_a_real_png(planted, models, personas, tmp_path):
    _, scaled, _, _ = planted
    labels = models["kmeans"].predict(scaled)

    path = plot_segments(scaled, labels, personas, tmp_path / "out" / "segments.png",
                         max_points=2000)  # fmt: skip

    assert path == tmp_path / "out" / "segments.png"
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    assert isinstance(next(iter(personas.values())), Persona)
