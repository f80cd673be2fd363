"""Churn risk: logistic regression and gradient boosting compared, the better one calibrated.

Both candidates see the same features (the shared FeaturePipeline, fitted inside every
cross-validation fold so no fold learns from its own test rows). Class imbalance is handled
by weighting: balanced class weights for the regression, balanced sample weights for the
boosting. Weighting distorts probabilities, so the kept model is calibrated afterwards
(isotonic with enough churners, sigmoid otherwise) and its outputs read as probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_sample_weight

from personalization.features import LABEL, FeaturePipeline

MIN_PER_CLASS = 10  # fewer churners (or stayers) than this: nothing to learn


@dataclass
class ChurnModel:
    estimator: CalibratedClassifierCV
    algorithm: str
    cv_auc: dict[str, float]  # mean cross-validated ROC-AUC per candidate
    columns: list[str]  # the feature frame's columns it was trained on
    base_rate: float
    metrics: dict[str, float] = field(default_factory=dict)  # filled by evaluation
    holdout_labels: np.ndarray | None = None  # the held-out customers' labels and risks,
    holdout_risk: np.ndarray | None = None  # kept for the report's curves

    def predict_risk(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of churn per row of a feature frame (any extra or missing columns)."""
        return self.estimator.predict_proba(frame.reindex(columns=self.columns))[:, 1]


def candidates(random_state: int = 0) -> dict[str, Pipeline]:
    return {
        "logistic_regression": Pipeline([
            ("features", FeaturePipeline()),
            ("model", LogisticRegression(C=0.5, class_weight="balanced", max_iter=5000)),
        ]),
        "gradient_boosting": Pipeline([
            ("features", FeaturePipeline()),
            ("model", HistGradientBoostingClassifier(
                learning_rate=0.06, max_iter=250, max_leaf_nodes=15, l2_regularization=1.0,
                early_stopping=False, random_state=random_state)),
        ]),
    }  # fmt: skip


def labelled(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows with a churn label, and the label; a clear error when there is none."""
    if LABEL not in frame or frame[LABEL].isna().all():
        raise ValueError(
            "No churn label in the profile store: import a CRM export whose mapping names the "
            "label (`label: churned` with a `churned` field), or generate demo data."
        )
    rows = frame[frame[LABEL].notna()]
    y = rows[LABEL].astype(bool).to_numpy()
    for value, name in ((True, "churned"), (False, "stayed")):
        if (y == value).sum() < MIN_PER_CLASS:
            raise ValueError(f"Only {(y == value).sum()} labelled customers {name}; at least "
                             f"{MIN_PER_CLASS} of each kind are needed to learn churn.")
    return rows.drop(columns=[LABEL]), y


def train_churn(frame: pd.DataFrame, folds: int = 5, random_state: int = 0) -> ChurnModel:
    X, y = labelled(frame)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    weights = compute_sample_weight("balanced", y)
    cv_auc = {}
    for name, pipeline in candidates(random_state).items():
        params = {"model__sample_weight": weights} if name == "gradient_boosting" else None
        scores = cross_val_score(pipeline, X, y, cv=splitter, scoring="roc_auc",
                                 fit_params=params)  # fmt: skip
        cv_auc[name] = float(np.mean(scores))
    best = max(cv_auc, key=lambda name: (cv_auc[name], name == "logistic_regression"))
    method = "isotonic" if min(y.sum(), (~y).sum()) >= 500 else "sigmoid"
    calibrated = CalibratedClassifierCV(candidates(random_state)[best], method=method,
                                        cv=StratifiedKFold(3, shuffle=True,
                                                           random_state=random_state))  # fmt: skip
    fit_params = {"model__sample_weight": weights} if best == "gradient_boosting" else {}
    calibrated.fit(X, y, **fit_params)
    return ChurnModel(calibrated, best, cv_auc, list(X.columns), float(y.mean()))
