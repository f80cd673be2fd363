"""Temperature scaling: one number that makes a classifier's probabilities mean what they say.

A logistic regression fitted to near-separable data is overconfident on new phrasings. Its
scores are divided by a temperature T chosen to minimise the log loss of predictions on
examples it was not fitted on (out-of-fold, with near-duplicates kept in one fold), so that
"0.8" is right about 80% of the time. Written here because scikit-learn 1.1 (pinned by Rasa)
has only one-vs-rest sigmoid or isotonic calibration, which distorts a multi-class ranking.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = np.atleast_2d(scores)
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def out_of_fold_scores(x, labels: np.ndarray, groups: np.ndarray | None, C: float,
                       folds: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Each example's class scores from a model fitted without its fold."""
    classes = np.unique(labels)
    groups = np.arange(len(labels)) if groups is None else groups
    scores = np.zeros((len(labels), len(classes)))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    for train, test in splitter.split(x, labels, groups):
        model = LogisticRegression(C=C, max_iter=3000, random_state=0).fit(x[train], labels[train])
        columns = np.searchsorted(classes, model.classes_)
        scores[np.ix_(test, columns)] = model.decision_function(x[test])
        missing = np.setdiff1d(np.arange(len(classes)), columns)
        scores[np.ix_(test, missing)] = -1e3  # a class absent from the fold's training part
    return scores, np.searchsorted(classes, labels)


def best_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    def log_loss(t: float) -> float:
        p = softmax(scores / t)[np.arange(len(truth)), truth]
        return -float(np.log(np.clip(p, 1e-12, 1.0)).mean())

    return float(minimize_scalar(log_loss, bounds=(0.05, 20.0), method="bounded").x)


def fit_temperature(x, labels: np.ndarray, C: float, groups: np.ndarray | None = None,
                    folds: int = 5) -> float:
    return best_temperature(*out_of_fold_scores(x, np.asarray(labels), groups, C, folds))
