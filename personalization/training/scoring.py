"""`python -m personalization score`: segment, persona and churn risk for every customer who
allows personalization, written back to the store chunk by chunk (memory bounded by the
chunk size). The scores of everyone else (declined, withdrawn, never asked) are deleted."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from tqdm import tqdm

from personalization.features.reading import iter_features
from personalization.store import Store
from personalization.store.customers import (
    delete_scores_without_grant,
    granted_customer_count,
    save_scores_of_granted,
)
from personalization.store.sql import utcnow
from personalization.training.artifacts import Models
from personalization.training.train import PURPOSE


def score_frame(models: Models, frame: pd.DataFrame) -> pd.DataFrame:
    """segment, persona and churn_risk for each customer of a feature frame."""
    matrix = models.features.transform(frame)
    segments = models.segments.predict(matrix[models.segments.columns])
    names = {segment: persona.name for segment, persona in models.personas.items()}
    risk = (models.churn.predict_risk(frame) if models.churn is not None
            else np.full(len(frame), np.nan))  # fmt: skip
    return pd.DataFrame({"segment": segments.astype(str),
                         "persona": [names.get(s, f"Segment {s}") for s in segments],
                         "churn_risk": risk}, index=frame.index)  # fmt: skip


def score_customers(store: Store, models: Models, chunk_customers: int = 20_000,
                    now: datetime | None = None, progress: bool = True) -> int:  # fmt: skip
    """Score the customers who grant personalization; returns how many scores were saved.
    A customer erased or withdrawn while their chunk was scored is not saved (checked under
    their locks), and the last step deletes the scores of everyone without a grant."""
    now = now or utcnow()
    with store.engine.connect() as conn:
        total = granted_customer_count(conn, PURPOSE)
    done = 0
    with tqdm(total=total, unit="customers", unit_scale=True, desc="scoring",
              disable=not progress) as bar:  # fmt: skip
        for frame in iter_features(store, now, chunk_customers, granted_to=PURPOSE):
            scores = score_frame(models, frame)
            rows = [{"customer_id": customer_id, "segment": row.segment, "persona": row.persona,
                     "churn_risk": None if np.isnan(row.churn_risk) else float(row.churn_risk),
                     "model_version": models.version, "computed_at": now}
                    for customer_id, row in zip(scores.index, scores.itertuples(), strict=True)]
            with store.begin() as conn:
                done += save_scores_of_granted(conn, rows, PURPOSE)
            bar.update(len(rows))
    with store.begin() as conn:
        delete_scores_without_grant(conn, PURPOSE)
    return done
