"""What the cleaning transformers share: DataFrame in, DataFrame out, columns checked."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Numeric columns, not counting booleans (pandas calls them numeric; they are flags)."""
    return [
        column
        for column in frame.columns
        if pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_bool_dtype(frame[column])
    ]


def require_frame(X: object) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(X).__name__}")
    return X


def require_columns(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"column(s) not in the frame: {', '.join(map(str, missing))}")


class FrameTransformer(TransformerMixin, BaseEstimator):
    """Records the fitted columns and insists on the same columns (any order) afterwards."""

    def _start_fit(self, X: object) -> pd.DataFrame:
        frame = require_frame(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = len(frame.columns)
        return frame

    def _check_transform_input(self, X: object) -> pd.DataFrame:
        check_is_fitted(self)
        frame = require_frame(X)
        expected = list(self.feature_names_in_)
        require_columns(frame, expected)
        extra = [column for column in frame.columns if column not in set(expected)]
        if extra:
            raise ValueError(f"column(s) not seen in fit: {', '.join(map(str, extra))}")
        return frame

    def _output_columns(self) -> list[str]:
        return list(self.feature_names_in_)

    def get_feature_names_out(self, input_features: Iterable[str] | None = None) -> np.ndarray:
        check_is_fitted(self)
        if input_features is not None and list(input_features) != list(self.feature_names_in_):
            raise ValueError("input_features do not match the columns seen in fit")
        return np.asarray(self._output_columns(), dtype=object)
