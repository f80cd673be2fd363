"""Temperature scaling: one number that makes a classifier's probabilities mean what they say.

A logistic regression fitted to near-separable data is overconfident on new phrasings. Its
scores are divided by a temperature T chosen to minimise the log loss of predictions on
examples it was not fitted on (out-of-fold, with near-duplicates kept in one fold), so that
"0.8" is right about 80% of the time. Written here because scikit-learn 1.1 (pinned by Rasa)
has only one-vs-rest sigmoid or isotonic calibration, which distorts a multi-class ranking.
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = np.atleast_2d(scores)
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _fit(x, labels: np.ndarray, C: float, max_iter: int) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=max_iter, random_state=0).fit(x, labels)


def fit_calibrated(x, labels, C: float, groups: np.ndarray | None = None, folds: int = 5,
                   max_iter: int = 3000) -> tuple[LogisticRegression, float]:
    """The model fitted on everything and the temperature fitted on the out-of-fold scores of
    `folds` models fitted without each fold; all fits run in parallel, one per core (each
    takes about a minute on the project's data)."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    groups = np.arange(len(labels)) if groups is None else groups
    splits = list(StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
                  .split(x, labels, groups)) if folds else []  # fmt: skip
    jobs = [(slice(None), None)] + splits
    models = Parallel(n_jobs=-1)(delayed(_fit)(x[train], labels[train], C, max_iter)
                                 for train, _ in jobs)  # fmt: skip
    if not splits:
        return models[0], 1.0
    scores = np.zeros((len(labels), len(classes)))
    for (_, test), model in zip(splits, models[1:], strict=True):
        columns = np.searchsorted(classes, model.classes_)
        scores[np.ix_(test, columns)] = model.decision_function(x[test])
        missing = np.setdiff1d(np.arange(len(classes)), columns)
        scores[np.ix_(test, missing)] = -1e3  # a class absent from the fold's training part
    return models[0], best_temperature(scores, np.searchsorted(classes, labels))


def best_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    def log_loss(t: float) -> float:
        p = softmax(scores / t)[np.arange(len(truth)), truth]
        return -float(np.log(np.clip(p, 1e-12, 1.0)).mean())

    return float(minimize_scalar(log_loss, bounds=(0.05, 20.0), method="bounded").x)
