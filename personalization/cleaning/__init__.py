"""Scikit-learn transformers that clean customer tables (pandas DataFrame in, DataFrame out).

They follow sklearn conventions (fit returns self, learned attributes end in `_`, they
work inside a Pipeline) and never modify the frame they are given.
"""

from personalization.cleaning.dedup import DeduplicateById
from personalization.cleaning.imputers import KNNImputerFrame, MedianModeImputer
from personalization.cleaning.numeric import to_numeric_frame
from personalization.cleaning.scaling import Scaler

__all__ = [
    "DeduplicateById",
    "KNNImputerFrame",
    "MedianModeImputer",
    "Scaler",
    "to_numeric_frame",
]
