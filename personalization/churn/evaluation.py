"""How good the churn model is, on customers it did not learn from, and what drives its risk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from personalization.churn.model import ChurnModel, labelled, train_churn
from personalization.features import LABEL

MAX_PERMUTATION_ROWS = 5_000


@dataclass
class Driver:
    feature: str
    importance: float  # ROC-AUC lost when the feature is shuffled
    direction: str  # "raises risk" | "lowers risk" | "mixed"


@dataclass
class ChurnEvaluation:
    model: ChurnModel  # trained on the training part only
    metrics: dict[str, float]
    drivers: list[Driver]
    y_test: pd.Series  # the held-out customers' labels, by customer id
    risk_test: np.ndarray

    def __str__(self) -> str:
        m = self.metrics
        lines = [f"churn model: {self.model.algorithm} (cross-validated ROC-AUC: "
                 + ", ".join(f"{k} {v:.3f}" for k, v in self.model.cv_auc.items()) + ")",
                 f"held-out {int(m['test_customers'])} customers: ROC-AUC {m['roc_auc']:.3f}, "
                 f"PR-AUC {m['pr_auc']:.3f} (base rate {m['base_rate']:.3f}), "
                 f"Brier {m['brier']:.3f}"]  # fmt: skip
        lines += [f"  {d.feature:28s} {d.importance:6.3f}  {d.direction}" for d in self.drivers]
        return "\n".join(lines)


def evaluate_churn(frame: pd.DataFrame, test_share: float = 0.25, top: int = 10,
                   random_state: int = 0) -> ChurnEvaluation:  # fmt: skip
    """Train on one part of the labelled customers, measure on the rest."""
    X, y = labelled(frame)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_share, stratify=y, random_state=random_state)
    model = train_churn(X_train.assign(**{LABEL: y_train}), random_state=random_state)
    risk = model.predict_risk(X_test)
    metrics = {"roc_auc": roc_auc_score(y_test, risk),
               "pr_auc": average_precision_score(y_test, risk),
               "brier": brier_score_loss(y_test, risk), "base_rate": float(y_test.mean()),
               "test_customers": float(len(y_test))}  # fmt: skip
    model.metrics = {k: float(v) for k, v in metrics.items()}
    model.holdout_labels, model.holdout_risk = np.asarray(y_test, dtype=bool), risk
    found = drivers(model, X_test, y_test, risk, top, random_state)
    return ChurnEvaluation(model, model.metrics, found, pd.Series(y_test, X_test.index), risk)


def drivers(model: ChurnModel, X: pd.DataFrame, y: np.ndarray, risk: np.ndarray, top: int,
            random_state: int = 0) -> list[Driver]:  # fmt: skip
    """Permutation importance on readable feature columns, with the direction of the effect."""
    X = X.reindex(columns=model.columns)
    if len(X) > MAX_PERMUTATION_ROWS:  # the ranking settles long before; time grows per row
        keep = np.random.default_rng(random_state).choice(len(X), MAX_PERMUTATION_ROWS,
                                                          replace=False)  # fmt: skip
        X, y, risk = X.iloc[keep], y[keep], risk[keep]
    result = permutation_importance(model.estimator, X, y, scoring="roc_auc", n_repeats=3,
                                    random_state=random_state)  # fmt: skip
    order = np.argsort(-result.importances_mean)[:top]
    out = []
    for i in order:
        if result.importances_mean[i] <= 0:
            break
        column = X.columns[i]
        out.append(Driver(column, float(result.importances_mean[i]),
                          _direction(X[column], risk)))  # fmt: skip
    return out


def _direction(values: pd.Series, risk: np.ndarray) -> str:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() < 10 or numeric.nunique() < 2:
        return "mixed"  # a category: the report shows risk by value
    correlation = pd.Series(risk, index=values.index).corr(numeric, method="spearman")
    if abs(correlation) < 0.05:
        return "mixed"
    return "raises risk" if correlation > 0 else "lowers risk"


def plot_curves(model: ChurnModel, path: Path) -> Path:
    """ROC curve and calibration curve of the held-out customers, side by side, as a PNG."""
    if model.holdout_labels is None or model.holdout_risk is None:
        raise ValueError("this churn model was not evaluated (use evaluate_churn)")
    y, risk = model.holdout_labels, model.holdout_risk
    figure = Figure(figsize=(10, 4.5), dpi=110)
    roc_axes, calibration_axes = figure.subplots(1, 2)
    fpr, tpr, _ = roc_curve(y, risk)
    roc_axes.plot(fpr, tpr, label=f"{model.algorithm} (AUC {model.metrics['roc_auc']:.3f})")
    roc_axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    roc_axes.set(title="ROC curve (held-out customers)", xlabel="false positive rate",
                 ylabel="true positive rate")  # fmt: skip
    roc_axes.legend(loc="lower right")
    observed, predicted = calibration_curve(y, risk, n_bins=10, strategy="quantile")
    calibration_axes.plot(predicted, observed, marker="o", label="model")
    calibration_axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    calibration_axes.set(title=f"Calibration (Brier {model.metrics['brier']:.3f})",
                         xlabel="predicted churn risk", ylabel="observed churn rate")  # fmt: skip
    calibration_axes.legend(loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
