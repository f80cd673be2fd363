"""A 2-D picture of the segments: PCA of the scaled features, one colour per persona."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from personalization.segmentation.personas import Persona


def plot_segments(
    X: pd.DataFrame,
    labels: np.ndarray,
    personas: dict[int, Persona],
    path: Path,
    max_points: int = 20000,
    random_state: int = 0,
) -> Path:
    """Write a PNG scatter of (a sample of) X in its first two principal components."""
    labels = np.asarray(labels)
    if len(labels) != len(X):
        raise ValueError(f"{len(labels)} labels for {len(X)} rows of X")
    if X.shape[1] < 2 or len(X) < 3:
        raise ValueError("plot_segments needs at least 2 feature columns and 3 rows")
    values = X.to_numpy(dtype=float)
    rng = np.random.default_rng(random_state)
    if len(values) > max_points:
        picked = np.sort(rng.choice(len(values), size=max_points, replace=False))
        values, labels = values[picked], labels[picked]
    pca = PCA(n_components=2, random_state=random_state).fit(values)
    points = pca.transform(values)

    # Figure + Agg canvas, not pyplot: no display, no global figure registry to leak into.
    figure = Figure(figsize=(10, 7), dpi=120)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    segments = sorted(np.unique(labels).tolist())
    palette = colormaps["tab10" if len(segments) <= 10 else "tab20"]
    for i, segment in enumerate(segments):
        mine = labels == segment
        persona = personas.get(segment)
        label = f"Segment {segment}" if persona is None else (
            f"{persona.name} ({persona.size:,}, {persona.share:.0%})")  # fmt: skip
        colour = "lightgrey" if segment == -1 else palette(i % palette.N)
        ax.scatter(points[mine, 0], points[mine, 1], s=6, alpha=0.5, color=colour,
                   label=label, linewidths=0, rasterized=True)  # fmt: skip
        centre = points[mine].mean(axis=0)
        ax.scatter(*centre, s=120, marker="X", color=colour, edgecolors="black", linewidths=1)
    ratio = pca.explained_variance_ratio_
    for axis, setter in ((0, ax.set_xlabel), (1, ax.set_ylabel)):
        top = np.argsort(-np.abs(pca.components_[axis]), kind="stable")[:2]
        drivers = ", ".join(str(X.columns[j]) for j in top)
        setter(f"PC{axis + 1} ({ratio[axis]:.0%} of variance; mostly {drivers})")
    shown = f"{len(values):,} of {len(X):,} customers" if len(X) > len(values) else (
        f"{len(X):,} customers")  # fmt: skip
    ax.set_title(f"Customer segments ({shown}, {ratio.sum():.0%} of variance shown)")
    ax.legend(loc="best", fontsize="small", markerscale=3, framealpha=0.9)
    ax.grid(True, alpha=0.3)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
