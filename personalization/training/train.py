"""`python -m personalization train`: every model from the profile store, in one run.

Only customers whose current consent for personalization is a grant are read: the others
(declined, withdrawn, never asked) are not segmented, do not train the churn model and are
not in the recommender (docs/privacy.md: without a yes nothing from the profile is used)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from personalization.churn import evaluate_churn
from personalization.features import LABEL, FeaturePipeline, read_features
from personalization.hashing import IdHasher
from personalization.segmentation import (
    apply_overrides,
    describe_segments,
    fit_segments,
    load_overrides,
)
from personalization.store import Store
from personalization.store.feature_sources import source_fingerprint
from personalization.store.sql import utcnow
from personalization.training.artifacts import ArtifactError, Models, read_metadata, save_models
from personalization.training.erased import ErasedList
from personalization.training.recommender import fit_recommender, settle_erasures

MAX_CHURN_ROWS = 50_000
PURPOSE = "personalization"  # what the models serve: only customers who granted it are read


def segment_columns(features: FeaturePipeline) -> list[str]:
    """Behaviour and value, not one-hot categories (a country would split every segment)."""
    return [c for c in features.feature_names_ if "=" not in c]


def fingerprint_digest(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:12]


def up_to_date(store: Store, folder: Path) -> str | None:
    """Why the models in `folder` need no training (a sentence), or None if they do."""
    try:
        metadata = read_metadata(folder)
    except ArtifactError:
        return None
    with store.begin() as conn:
        digest = fingerprint_digest(source_fingerprint(conn))
    if metadata.get("data_fingerprint", {}).get("sha256") != digest:
        return None
    return f"The models {metadata['version']} in {folder} were trained on this data already."


def train_models(store: Store, folder: Path, method: str = "kmeans",
                 personas_file: Path | None = None, now: datetime | None = None,
                 say: Callable[[str], None] = print,
                 hasher: IdHasher | None = None) -> Models:  # fmt: skip
    """`hasher` (PERSONALIZATION_HASH_KEY) keys the recommender's rows, so that erasures
    after this run can be applied to it; without it the first one switches it off."""
    now = now or utcnow()
    started = time.perf_counter()

    def step(text: str) -> None:
        say(f"[{time.perf_counter() - started:6.1f} s] {text}")

    with store.begin() as conn:
        fingerprint = source_fingerprint(conn)
    step(f"reading features of the customers who allow personalization (of "
         f"{fingerprint['customers']:,})")
    frame = read_features(store, now, granted_to=PURPOSE)
    features = FeaturePipeline().fit(frame)
    step(f"{len(frame):,} customers, {len(features.feature_names_)} features; segmenting "
         f"({method})")
    columns = segment_columns(features)
    segments = fit_segments(features.transform(frame)[columns], method=method)
    labels = segments.predict(features.transform(frame)[columns])
    personas = describe_segments(features.transform_unscaled(frame)[columns], labels)
    if segments.k < 2:
        step(f"warning: {method} found one group only: these customers have no segments it can "
             "tell apart; try --segments kmeans or agglomerative")
    if personas_file is not None:
        personas = apply_overrides(personas, load_overrides(personas_file))
    metrics: dict[str, object] = {"segments": {
        "method": segments.method, "k": segments.k, "silhouette": segments.silhouette,
        "silhouette_by_k": segments.silhouette_by_k}}  # fmt: skip

    churn = None
    labelled = int(frame[LABEL].notna().sum()) if LABEL in frame else 0
    if labelled:
        sample = frame[frame[LABEL].notna()]
        if len(sample) > MAX_CHURN_ROWS:  # more rows add time, not accuracy
            sample = sample.sample(MAX_CHURN_ROWS, random_state=0)
        step(f"churn model on {len(sample):,} of {labelled:,} labelled customers")
        evaluation = evaluate_churn(sample)
        churn = evaluation.model
        metrics["churn"] = {**evaluation.metrics, "algorithm": churn.algorithm,
                            "cv_auc": churn.cv_auc,
                            "drivers": [vars(d) for d in evaluation.drivers]}  # fmt: skip
    else:
        step("no churn label in the store: no churn model")

    recommender, metrics["recommender"], used = fit_recommender(store, PURPOSE, hasher)
    if recommender is not None:
        step(f"recommender on {used:,} purchases and views")
        if hasher is None:
            step("warning: no hash key given (PERSONALIZATION_HASH_KEY): the recommender "
                 "cannot apply later erasures, and the first one switches it off until the "
                 "next training")
    else:
        metrics.pop("recommender")
        step("no purchases or views in the store: no recommender")

    digest = fingerprint_digest(fingerprint)
    metadata = {"version": f"{now:%Y%m%d-%H%M%S}-{digest[:6]}", "trained_at": now.isoformat(),
                "data_fingerprint": {"sha256": digest, **fingerprint}, "metrics": metrics,
                "features": features.feature_names_, "segment_features": columns,
                "customers_used": len(frame), "churn": churn is not None,
                "recommender": recommender is not None}  # fmt: skip
    models = Models(features, segments, personas, churn, recommender, metadata)
    settled = settle_erasures(recommender, folder, store, PURPOSE)
    save_models(models, folder)
    ErasedList(folder).remove(settled)
    step(f"models {metadata['version']} saved in {folder}")
    return models
