"""Putting numeric columns on a common scale, and back."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from personalization.cleaning._frames import FrameTransformer, numeric_columns, require_columns

METHODS = ("zscore", "minmax")


class Scaler(FrameTransformer):
    """Z-score (population std, as sklearn's StandardScaler) or min-max scaling.

    A constant column has no spread to divide by; it scales to 0 and inverts back to the
    constant. Missing values stay missing.
    """

    def __init__(self, method: str = "zscore", columns: Sequence[str] | None = None) -> None:
        self.method = method
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: object = None) -> Scaler:
        frame = self._start_fit(X)
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        columns = numeric_columns(frame) if self.columns is None else list(self.columns)
        require_columns(frame, columns)
        not_numeric = [c for c in columns if c not in set(numeric_columns(frame))]
        if not_numeric:
            raise ValueError(f"cannot scale non-numeric column(s): {', '.join(not_numeric)}")
        values = frame[columns].astype(float)
        empty = [c for c in columns if values[c].isna().all()]
        if empty:
            raise ValueError(f"column(s) entirely missing, cannot scale: {', '.join(empty)}")
        self.columns_ = columns
        if self.method == "zscore":
            self.center_ = values.mean()
            spread = values.std(ddof=0)
        else:
            self.center_ = values.min()
            spread = values.max() - values.min()
        self.scale_ = spread.where(spread > 0, 1.0)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = self._check_transform_input(X)
        out = frame.copy()
        out[self.columns_] = (frame[self.columns_].astype(float) - self.center_) / self.scale_
        return out

    def inverse_transform(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = self._check_transform_input(X)
        out = frame.copy()
        out[self.columns_] = frame[self.columns_].astype(float) * self.scale_ + self.center_
        return out
