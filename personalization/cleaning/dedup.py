"""One row per customer: exports repeat rows, and re-exports repeat customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from personalization.cleaning._frames import FrameTransformer, require_columns, require_frame

KEEP = ("first", "last")


class DeduplicateById(FrameTransformer):
    """Drop exact duplicate rows, then all but one row per id.

    With `order_by`, rows are ranked by that column (ascending, missing first) and `keep`
    picks within that order, so the default keeps the latest row. Without it, `keep` refers
    to the input order. Rows with a missing id are never merged with each other (only exact
    duplicates among them go). The surviving rows keep their input order and index.

    Stateless: `fit` only checks the columns, and `transform` accepts any frame holding the
    id (and order_by) column. `removed_` is set by each `transform`.
    """

    def __init__(self, id_column: str, keep: str = "last", order_by: str | None = None) -> None:
        self.id_column = id_column
        self.keep = keep
        self.order_by = order_by

    def fit(self, X: pd.DataFrame, y: object = None) -> DeduplicateById:
        self._check_params(require_frame(X))
        self._start_fit(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self)
        self._check_params(require_frame(X))
        ranked = X.reset_index(drop=True)
        if self.order_by is not None:
            ranked = ranked.sort_values(self.order_by, kind="mergesort", na_position="first")
        exact = ranked.duplicated(keep=self.keep)
        same_id = ranked[self.id_column].notna() & ranked.duplicated(
            subset=[self.id_column], keep=self.keep
        )
        drop = np.zeros(len(X), dtype=bool)
        drop[ranked.index[exact | same_id]] = True
        self.removed_ = int(drop.sum())
        return X.iloc[~drop].copy()

    def _check_params(self, frame: pd.DataFrame) -> None:
        if self.keep not in KEEP:
            raise ValueError(f"keep must be one of {KEEP}, got {self.keep!r}")
        columns = [self.id_column] + ([] if self.order_by is None else [self.order_by])
        require_columns(frame, columns)
