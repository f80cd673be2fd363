"""Customer segments: clusters of the scaled feature frame, named as readable personas.

`fit_segments` finds the segments (k-means, ward or DBSCAN, k by silhouette on a sample),
`describe_segments` turns them into personas an analyst can rename in a YAML file, and
`plot_segments` draws them. Plain pandas/scikit-learn; nothing here knows about Rasa.
"""

from personalization.segmentation.clustering import METHODS, SegmentModel, fit_segments
from personalization.segmentation.personas import (
    Persona,
    PersonaFileError,
    apply_overrides,
    describe_segments,
    load_overrides,
)
from personalization.segmentation.picture import plot_segments

__all__ = [
    "METHODS",
    "Persona",
    "PersonaFileError",
    "SegmentModel",
    "apply_overrides",
    "describe_segments",
    "fit_segments",
    "load_overrides",
    "plot_segments",
]
