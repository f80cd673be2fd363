"""Fit customer segments on a scaled feature frame and assign any customer to one.

Every method ends in the same place: a few centroids in feature space, and a customer's
segment is the nearest centroid. That keeps `predict` cheap and identical for new customers,
chunks of a large table, and the rows the model was fit on, whichever algorithm found them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

METHODS = ("kmeans", "agglomerative", "dbscan")
DEFAULT_K_RANGE = range(2, 9)
DBSCAN_MIN_ROWS = 50


@dataclass
class SegmentModel:
    method: str
    k: int
    silhouette_by_k: dict[int, float]
    silhouette: float
    centroids: pd.DataFrame
    columns: list[str]
    noise_share: float = 0.0  # DBSCAN: share of the fit sample it called noise
    params: dict[str, float] = field(default_factory=dict)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The segment (0..k-1) of every row of X: its nearest centroid."""
        if not isinstance(X, pd.DataFrame):
            raise ValueError(f"X must be a DataFrame with columns {self.columns}")
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks the model's columns: {', '.join(map(str, missing))}")
        return _nearest(_values(X[self.columns]), self.centroids.to_numpy())


def fit_segments(
    X: pd.DataFrame,
    method: str = "kmeans",
    k_range: Iterable[int] = DEFAULT_K_RANGE,
    random_state: int = 0,
    sample_size: int = 5000,
) -> SegmentModel:
    """Segments of X (cleaned, scaled, numeric; one row per customer).

    k is chosen by the silhouette over k_range on a fixed sample of at most sample_size
    rows. `silhouette_by_k` scores the candidates on that sample; `silhouette` scores the
    returned model (its nearest-centroid labels) on the same sample.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    values = _values(X)
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 2:
        raise ValueError(f"k_range must hold integers >= 2, got {ks}")
    need = DBSCAN_MIN_ROWS if method == "dbscan" else ks[-1] + 1
    if len(values) < need or sample_size < need:
        raise ValueError(
            f"method {method!r} needs at least {need} rows (and sample_size >= {need}); "
            f"X has {len(values)} rows, sample_size is {sample_size}"
        )
    rng = np.random.default_rng(random_state)
    picked = np.sort(rng.choice(len(values), size=min(sample_size, len(values)), replace=False))
    sample = values[picked]

    scores: dict[int, float] = {}
    noise_share, params = 0.0, {}
    if method == "kmeans":
        # A few thousand rows: OpenMP threads cost more than they save, and on a busy
        # machine their spin-waiting makes each fit 10-100x slower.
        with threadpool_limits(limits=1, user_api="openmp"):
            for k in ks:
                labels = KMeans(k, n_init=10, random_state=random_state).fit_predict(sample)
                scores[k] = _silhouette(sample, labels, random_state)
        best = _best(scores)
        centres = KMeans(best, n_init=10, random_state=random_state).fit(values).cluster_centers_
    elif method == "agglomerative":
        cuts = _ward_cuts(sample, ks)
        scores = {k: _silhouette(sample, labels, random_state) for k, labels in cuts.items()}
        centres = _means(sample, cuts[_best(scores)])
    else:
        labels, eps, min_samples = _dbscan(sample, random_state)
        noise_share = float(np.mean(labels < 0))
        params = {"eps": eps, "min_samples": float(min_samples)}
        centres = _means(sample, labels) if labels.max() >= 0 else sample.mean(axis=0)[None]

    centres = _order_by_size(centres, values)
    sample_labels = _nearest(sample, centres)
    final = _silhouette(sample, sample_labels, random_state)
    if method == "dbscan":
        scores = {len(centres): final}
    return SegmentModel(
        method=method,
        k=len(centres),
        silhouette_by_k=scores,
        silhouette=final,
        centroids=pd.DataFrame(centres, columns=list(X.columns)).rename_axis("segment"),
        columns=list(X.columns),
        noise_share=noise_share,
        params=params,
    )


def _values(X: pd.DataFrame) -> np.ndarray:
    if not isinstance(X, pd.DataFrame) or X.shape[1] == 0:
        raise ValueError("X must be a DataFrame with at least one feature column")
    text = [str(c) for c, t in X.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
    if text:
        raise ValueError(f"X must be all numeric (scaled features); not numeric: {text}")
    values = X.to_numpy(dtype=float)
    bad = ~np.isfinite(values).all(axis=0)
    if bad.any():
        raise ValueError(f"X has missing or infinite values in {list(X.columns[bad])}")
    return values


def _nearest(values: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # One centroid at a time: memory stays rows x features, and a row's answer does not
    # depend on which other rows came with it (chunked == all at once, bit for bit).
    best = np.zeros(len(values), dtype=np.int64)
    best_d = np.full(len(values), np.inf)
    for j, centre in enumerate(centres):
        d = np.einsum("ij,ij->i", values - centre, values - centre)
        closer = d < best_d
        best[closer], best_d[closer] = j, d[closer]
    return best


def _silhouette(sample: np.ndarray, labels: np.ndarray, random_state: int) -> float:
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(silhouette_score(sample, labels, random_state=random_state))


def _best(scores: dict[int, float]) -> int:
    # Ties (and all-NaN) go to the smallest k: fewer segments are easier to act on.
    return max(scores, key=lambda k: (np.nan_to_num(scores[k], nan=-2.0), -k))


def _means(sample: np.ndarray, labels: np.ndarray) -> np.ndarray:
    ids = np.unique(labels[labels >= 0])
    return np.stack([sample[labels == i].mean(axis=0) for i in ids])


def _order_by_size(centres: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Largest segment first; centroids nobody is nearest to are dropped."""
    counts = np.bincount(_nearest(values, centres), minlength=len(centres))
    order = np.argsort(-counts, kind="stable")
    return centres[order[counts[order] > 0]]


def _ward_cuts(sample: np.ndarray, ks: list[int]) -> dict[int, np.ndarray]:
    """Labels of the ward tree cut at every k, from one fit of the full tree."""
    tree = AgglomerativeClustering(
        n_clusters=None, linkage="ward", distance_threshold=0.0, compute_full_tree=True
    ).fit(sample)
    n = len(sample)
    parent = np.full(2 * n - 1, 2 * n, dtype=np.int64)  # 2n: "no parent"
    for i, (a, b) in enumerate(tree.children_):
        parent[a] = parent[b] = n + i
    cuts = {}
    for k in ks:
        merged = n + (n - k)  # nodes below this index exist after n - k merges
        roots = np.arange(n)
        while True:
            up = parent[roots]
            move = up < merged
            if not move.any():
                break
            roots[move] = up[move]
        cuts[k] = np.unique(roots, return_inverse=True)[1]
    return cuts


def _dbscan(sample: np.ndarray, random_state: int) -> tuple[np.ndarray, float, int]:
    """DBSCAN with eps read off the k-distance curve; tiny clusters become noise.

    The knee of the curve is the textbook eps but lands too low when segments differ in
    density (the sparse one dissolves into noise), so the knee and two high quantiles are
    tried and the best silhouette (noise assigned to the nearest cluster) wins.
    """
    min_samples = int(np.clip(2 * sample.shape[1], 5, 50))
    dist, _ = NearestNeighbors(n_neighbors=min_samples).fit(sample).kneighbors(sample)
    curve = np.sort(dist[:, -1])
    smallest = max(min_samples, int(np.ceil(0.01 * len(sample))))
    best: tuple[float, np.ndarray, float] | None = None
    for eps in sorted({_knee(curve), *np.quantile(curve, [0.9, 0.95]).tolist()}):
        eps = max(float(eps), 1e-9)
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(sample)
        ids, counts = np.unique(labels[labels >= 0], return_counts=True)
        labels = np.where(np.isin(labels, ids[counts < smallest]), -1, labels)
        if labels.max() < 0:
            continue
        score = _silhouette(sample, _nearest(sample, _means(sample, labels)), random_state)
        score = float(np.nan_to_num(score, nan=-2.0))
        if best is None or score > best[0]:
            best = (score, labels, eps)
    if best is None:
        return np.full(len(sample), -1), float(curve[-1]), min_samples
    return best[1], best[2], min_samples


def _knee(curve: np.ndarray) -> float:
    """The value where the sorted curve bends upward most (farthest below its chord)."""
    x = np.linspace(0.0, 1.0, len(curve))
    span = curve[-1] - curve[0]
    if span <= 0:
        return float(curve[-1])
    y = (curve - curve[0]) / span
    return float(curve[int(np.argmax(x - y))])
