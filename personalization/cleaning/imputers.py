"""Filling gaps in customer tables: simple statistics, or the values of similar customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import KNNImputer

from personalization.cleaning._frames import FrameTransformer, numeric_columns


def _name_list(columns: list[str]) -> str:
    return ", ".join(map(str, columns))


class MedianModeImputer(FrameTransformer):
    """Median for numeric columns, most frequent value for everything else.

    A column with no value at all in fit has nothing to learn from: that is an error unless
    `drop_empty=True`, which drops it from the output (see `dropped_columns_`).
    """

    def __init__(self, drop_empty: bool = False) -> None:
        self.drop_empty = drop_empty

    def fit(self, X: pd.DataFrame, y: object = None) -> MedianModeImputer:
        frame = self._start_fit(X)
        empty = [column for column in frame.columns if frame[column].isna().all()]
        if empty and not self.drop_empty:
            raise ValueError(
                f"column(s) entirely missing, no value to learn: {_name_list(empty)} "
                "(drop them first, or pass drop_empty=True)"
            )
        numeric = set(numeric_columns(frame))
        self.dropped_columns_ = empty
        self.statistics_: dict[str, object] = {}
        for column in frame.columns:
            if column in empty:
                continue
            values = frame[column]
            self.statistics_[column] = (
                values.median() if column in numeric else values.mode(dropna=True).iloc[0]
            )
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = self._check_transform_input(X)
        out = frame.drop(columns=self.dropped_columns_).copy()
        for column, value in self.statistics_.items():
            values = out[column]
            missing = values.isna()
            if not missing.any():
                continue
            if pd.api.types.is_integer_dtype(values) and not float(value).is_integer():
                values = values.astype("Float64")  # a nullable Int64 column cannot hold 2.5
            # mask, not fillna: fillna on object columns warns about silent downcasting.
            filled = values.mask(missing, value)
            out[column] = filled.infer_objects() if filled.dtype == object else filled
        return out

    def _output_columns(self) -> list[str]:
        return [c for c in self.feature_names_in_ if c not in self.dropped_columns_]


class KNNImputerFrame(FrameTransformer):
    """k-NN imputation of the numeric columns; other columns pass through untouched.

    Distances are computed on z-scored columns (statistics from fit), so a column in the
    thousands (spend) does not drown one in single digits (tickets). Filled values are
    returned in the original units.
    """

    def __init__(self, n_neighbors: int = 5) -> None:
        self.n_neighbors = n_neighbors

    def fit(self, X: pd.DataFrame, y: object = None) -> KNNImputerFrame:
        frame = self._start_fit(X)
        self.numeric_columns_ = numeric_columns(frame)
        values = self._values(frame)
        all_missing = np.isnan(values).all(axis=0)
        empty = [c for c, gone in zip(self.numeric_columns_, all_missing, strict=True) if gone]
        if empty:
            raise ValueError(f"column(s) entirely missing, cannot impute: {_name_list(empty)}")
        self.imputer_: KNNImputer | None = None
        self.mean_ = np.zeros(len(self.numeric_columns_))
        self.scale_ = np.ones(len(self.numeric_columns_))
        if self.numeric_columns_:
            self.mean_ = np.nanmean(values, axis=0)
            std = np.nanstd(values, axis=0)
            self.scale_ = np.where(std > 0, std, 1.0)
            scaled = (values - self.mean_) / self.scale_
            self.imputer_ = KNNImputer(n_neighbors=self.n_neighbors).fit(scaled)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = self._check_transform_input(X)
        out = frame.copy()
        values = self._values(frame)
        missing = np.isnan(values)
        if self.imputer_ is None or not missing.any():
            return out
        scaled = self.imputer_.transform((values - self.mean_) / self.scale_)
        filled = scaled * self.scale_ + self.mean_
        for j, column in enumerate(self.numeric_columns_):
            if missing[:, j].any():
                out[column] = np.where(missing[:, j], filled[:, j], values[:, j])
        return out

    def _values(self, frame: pd.DataFrame) -> np.ndarray:
        return frame[self.numeric_columns_].to_numpy(dtype=float, na_value=np.nan)
