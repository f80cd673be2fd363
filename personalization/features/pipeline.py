"""From the feature frame to the numeric matrix every model uses, learned once at training.

Which columns are numeric and which categorical, the categories kept, the imputed values and
the scaling are all learned in `fit` and stored with the models, so scoring a chunk of 100
customers gives each the same columns as training did: a count column the chunk lacks is 0,
any other missing value is imputed, an unseen category is "other". Long-tailed
non-negative columns (counts, spend) are scaled as log(1 + x).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from personalization.cleaning import KNNImputerFrame, MedianModeImputer, Scaler
from personalization.features.frame import LABEL, is_count

IMPUTATIONS = ("median", "knn")
OTHER = "other"
SKEWED = 1.0  # sample skewness above which a non-negative column is scaled as log(1 + x)


class FeaturePipeline(TransformerMixin, BaseEstimator):
    """Feature frame in, numeric DataFrame out (one-hot categories, imputed, scaled)."""

    def __init__(self, imputation: str = "median", scaling: str = "zscore",
                 max_categories: int = 12, min_category_share: float = 0.01,
                 log_skewed: bool = True) -> None:  # fmt: skip
        self.imputation = imputation
        self.scaling = scaling
        self.log_skewed = log_skewed
        self.max_categories = max_categories
        self.min_category_share = min_category_share

    def fit(self, X: pd.DataFrame, y: object = None) -> FeaturePipeline:
        if self.imputation not in IMPUTATIONS:
            raise ValueError(f"imputation must be one of {IMPUTATIONS}, not {self.imputation!r}")
        frame = X.drop(columns=[LABEL], errors="ignore")
        if frame.empty:
            raise ValueError("no customers to learn features from")
        informative = [c for c in frame.columns if frame[c].notna().any()
                       and frame[c].nunique(dropna=True) > 1]  # fmt: skip
        self.numeric_ = [c for c in informative if pd.api.types.is_numeric_dtype(frame[c])
                         and not pd.api.types.is_bool_dtype(frame[c])]  # fmt: skip
        self.categories_ = {c: self._kept_categories(frame[c]) for c in informative
                            if c not in self.numeric_}  # fmt: skip
        # counts and money are long-tailed: a few heavy customers would otherwise dominate
        # every distance and coefficient, so those columns are scaled on a log scale
        self.logged_ = [c for c in self.numeric_ if self.log_skewed
                        and frame[c].min() >= 0 and frame[c].skew() > SKEWED]  # fmt: skip
        raw = self._raw(frame)
        imputer = MedianModeImputer() if self.imputation == "median" else KNNImputerFrame()
        self.imputer_ = imputer.fit(raw)
        self.scaler_ = Scaler(self.scaling).fit(self._compress(self.imputer_.transform(raw)))
        self.feature_names_ = list(raw.columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.scaler_.transform(self._compress(self.transform_unscaled(X)))

    def _compress(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out[self.logged_] = np.log1p(out[self.logged_].clip(lower=0))
        return out

    def transform_unscaled(self, X: pd.DataFrame) -> pd.DataFrame:
        """Imputed, in the units people read (for persona descriptions and reports)."""
        check_is_fitted(self)
        return self.imputer_.transform(self._raw(X))

    def _kept_categories(self, values: pd.Series) -> list[str]:
        shares = values.dropna().astype(str).value_counts(normalize=True)
        kept = shares[shares >= self.min_category_share].index[: self.max_categories]
        return sorted(kept)

    def _raw(self, X: pd.DataFrame) -> pd.DataFrame:
        """Numeric columns (a count that is absent or blank is 0; other gaps stay for the
        imputer) and one-hot categories."""
        parts = {}
        for column in self.numeric_:
            values = (pd.to_numeric(X[column], errors="coerce").astype(float) if column in X
                      else pd.Series(np.nan, index=X.index))  # fmt: skip
            parts[column] = values.fillna(0.0) if is_count(column) else values
        for column, kept in self.categories_.items():
            values = X[column].astype(object) if column in X else pd.Series(None, index=X.index)
            text = values.map(lambda v: None if v is None or v != v else str(v))
            text = text.where(text.isna() | text.isin(kept), OTHER)
            for category in [*kept, OTHER]:
                parts[f"{column}={category}"] = (text == category).astype(float).where(
                    text.notna())
        return pd.DataFrame(parts, index=X.index)
