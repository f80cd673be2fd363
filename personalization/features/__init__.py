"""The one feature pipeline every model shares: profile store -> feature frame -> matrix.

    for chunk in iter_source_chunks(conn):          # personalization.store.feature_sources
        frame = build_frame(chunk, now)             # readable features per customer
    pipeline = FeaturePipeline().fit(frame)         # learned once, stored with the models
    matrix = pipeline.transform(frame)              # numeric, imputed, scaled
"""

from personalization.features.frame import LABEL, build_frame
from personalization.features.pipeline import FeaturePipeline
from personalization.features.reading import read_features

__all__ = ["LABEL", "FeaturePipeline", "build_frame", "read_features"]
