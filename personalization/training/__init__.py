"""Training every model, storing them, loading them back, and scoring customers."""

from personalization.training.artifacts import ArtifactError, Models, load_models, save_models
from personalization.training.scoring import score_customers
from personalization.training.train import train_models

__all__ = ["ArtifactError", "Models", "load_models", "save_models", "score_customers",
           "train_models"]
