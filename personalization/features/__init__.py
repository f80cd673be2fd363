"""The one feature pipeline every model shares: profile store -> feature frame -> matrix.

    for frame in iter_features(store, now):         # readable features, chunk by chunk
        ...
    pipeline = FeaturePipeline().fit(frame)         # learned once, stored with the models
    matrix = pipeline.transform(frame)              # numeric, imputed, scaled
"""

from personalization.features.frame import LABEL, build_frame
from personalization.features.pipeline import FeaturePipeline
from personalization.features.reading import read_features

__all__ = ["LABEL", "FeaturePipeline", "build_frame", "read_features"]
