"""The trained models on disk: joblib files plus a metadata file, and a loader that checks them.

    models/personalization/
      metadata.json       version, trained at, data fingerprint, metrics, features, libraries
      features.joblib     the fitted FeaturePipeline
      segments.joblib     SegmentModel + personas
      churn.joblib        ChurnModel (absent when the store had no churn label)
      recommender.joblib  ItemItemRecommender (absent without purchases or views)
      erased.txt          keyed hashes of the customers erased since (training/erased.py)

`load_models` raises ArtifactError (missing, corrupt, or made by other library versions)
with a message that says what to do; callers catch it and carry on without models. It drops
the rows of the customers in erased.txt from the recommender it returns.
"""

from __future__ import annotations

import json
import logging
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy
import pandas
import sklearn

from personalization.churn import ChurnModel
from personalization.features import FeaturePipeline
from personalization.recommend import ItemItemRecommender
from personalization.segmentation import Persona, SegmentModel
from personalization.training.erased import ErasedList

log = logging.getLogger(__name__)
FORMAT = 1
PARTS = ("features", "segments", "churn", "recommender")


class ArtifactError(RuntimeError):
    """The models cannot be used; the message says why and what to run."""


@dataclass
class Models:
    features: FeaturePipeline
    segments: SegmentModel
    personas: dict[int, Persona]
    churn: ChurnModel | None  # no churn label in the store
    recommender: ItemItemRecommender | None  # no purchases or views in the store
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.metadata.get("version", "")


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "pandas": pandas.__version__, "numpy": numpy.__version__,
            "joblib": joblib.__version__}  # fmt: skip


def save_models(models: Models, folder: Path) -> Path:
    """Write every part, then the metadata last (a folder without it is incomplete). Each
    file is written beside its place and renamed into it: a reader never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metadata.json").unlink(missing_ok=True)
    _dump(models.features, folder / "features.joblib")
    _dump({"model": models.segments, "personas": models.personas}, folder / "segments.joblib")
    for name, part in (("churn", models.churn), ("recommender", models.recommender)):
        if part is not None:
            _dump(part, folder / f"{name}.joblib")
        else:
            (folder / f"{name}.joblib").unlink(missing_ok=True)
    metadata = {**models.metadata, "format": FORMAT, "libraries": library_versions()}
    partial = folder / "metadata.json.partial"
    partial.write_text(json.dumps(metadata, indent=2, default=str))
    os.replace(partial, folder / "metadata.json")
    return folder


def _dump(value: Any, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    joblib.dump(value, partial)
    os.replace(partial, path)


def record_erasure(folder: Path, id_hash: str) -> bool:
    """Erase a customer from the models in `folder`: their keyed hash goes on the folder's
    erased list, which every load of the recommender (running servers reload when it
    changes) and the next training apply. No other part keeps anything per customer. False
    if they were listed already."""
    return ErasedList(folder).add(id_hash)


def read_metadata(folder: Path) -> dict[str, Any]:
    path = folder / "metadata.json"
    if not path.exists():
        raise ArtifactError(f"No trained models in {folder} (no metadata.json): run "
                            "`python -m personalization train`.")  # fmt: skip
    try:
        metadata = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ArtifactError(f"{path} is unreadable ({error}): train again.") from None
    if metadata.get("format") != FORMAT:
        raise ArtifactError(f"{path} is format {metadata.get('format')!r}, this code reads "
                            f"format {FORMAT}: train again.")  # fmt: skip
    trained, here = metadata.get("libraries", {}), library_versions()
    for name in ("scikit-learn", "numpy", "joblib"):
        if _minor(trained.get(name, "")) != _minor(here[name]):
            raise ArtifactError(f"The models in {folder} were made with {name} "
                                f"{trained.get(name)}, this environment has {here[name]}: "
                                "train again (`python -m personalization train`).")  # fmt: skip
    return metadata


def load_models(folder: Path) -> Models:
    metadata = read_metadata(folder)
    features = _load(folder / "features.joblib", FeaturePipeline)
    segments = _load(folder / "segments.joblib", dict)
    churn = _load(folder / "churn.joblib", ChurnModel) if metadata.get("churn") else None
    recommender = (_load(folder / "recommender.joblib", ItemItemRecommender)
                   if metadata.get("recommender") else None)  # fmt: skip
    if not isinstance(segments.get("model"), SegmentModel):
        raise ArtifactError(f"{folder / 'segments.joblib'} holds no segment model: train again.")
    return Models(features, segments["model"], segments["personas"], churn,
                  without_erased(recommender, folder), metadata)  # fmt: skip


def without_erased(recommender: ItemItemRecommender | None,
                   folder: Path) -> ItemItemRecommender | None:  # fmt: skip
    """The recommender without the rows of the customers on the folder's erased list. One
    trained without the hash key cannot tell who they are: it is not used (None)."""
    erased = ErasedList(folder).read()
    if recommender is None or not erased:
        return recommender
    if recommender.customer_keys is None:
        log.warning("The recommender in %s was trained without PERSONALIZATION_HASH_KEY, so "
                    "the %d customer(s) erased since cannot be removed from it: it is not used "
                    "(no suggestions) until `python -m personalization train` runs with the "
                    "key set.", folder, len(erased))  # fmt: skip
        return None
    recommender.drop_keys(erased)
    return recommender


def _load(path: Path, kind: type) -> Any:
    if not path.exists():
        raise ArtifactError(f"{path} is missing: train again (`python -m personalization train`).")
    try:
        value = joblib.load(path)
    except Exception as error:  # noqa: BLE001 - any unpickling failure means "corrupt"
        raise ArtifactError(f"{path} is corrupt ({type(error).__name__}: {error}): "
                            "train again.") from None  # fmt: skip
    if not isinstance(value, kind):
        raise ArtifactError(f"{path} holds a {type(value).__name__}, not a "
                            f"{kind.__name__}: train again.")  # fmt: skip
    return value


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
