"""The trained models as the conversation sees them: loaded on first use, reloaded when a
training run (or anything else) replaces one of their files, and absent (with a warning)
when they cannot be used."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)
# metadata.json, the parts of personalization/training/artifacts.py and the erased list
# (training/erased.py) (not imported here: the models' libraries take seconds to import)
FILES = ("metadata.json", "features.joblib", "segments.joblib", "churn.joblib",
         "recommender.joblib", "erased.txt")  # fmt: skip


class LiveModels:
    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._models = None
        self.problem: str | None = None

    def _stamp_now(self) -> tuple | None:
        """When and how big each file is (None: no metadata, so no models)."""
        stamps = []
        for name in FILES:
            try:
                found = (self.folder / name).stat()
                stamps.append((found.st_mtime_ns, found.st_size, found.st_ino))
            except OSError:
                if name == "metadata.json":
                    return None
                stamps.append(None)
        return tuple(stamps)

    def get(self):
        """The current Models, or None (then `problem` says why)."""
        stamp = self._stamp_now()
        if stamp == self._stamp and (self._models is not None or self.problem):
            return self._models
        with self._lock:
            if stamp != self._stamp or (self._models is None and not self.problem):
                self._load(stamp)
        return self._models

    def _load(self, stamp: tuple | None) -> None:
        # imported here: the models' libraries take seconds to import
        from personalization.training.artifacts import ArtifactError, load_models

        try:
            self._models, self.problem = load_models(self.folder), None
            log.info("Loaded the customer models from %s (version %s)", self.folder,
                     self._models.version)  # fmt: skip
        except ArtifactError as error:
            self._models, self.problem = None, str(error)
            log.warning("Customer models unavailable, carrying on without them: %s", error)
        self._stamp = stamp
