"""Churn risk: trained on any labelled customers, compared, calibrated, evaluated."""

from personalization.churn.evaluation import ChurnEvaluation, evaluate_churn, plot_curves
from personalization.churn.model import ChurnModel, train_churn

__all__ = ["ChurnEvaluation", "ChurnModel", "evaluate_churn", "plot_curves", "train_churn"]
