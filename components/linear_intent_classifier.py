"""Intent classification by multinomial logistic regression on the pipeline's sentence features.

Why not DIET: on this project's data and held-out messages, logistic regression over a
pretrained sentence embedding plus character and word n-gram counts was both more accurate on
unseen phrasings and far faster to train on two CPU cores (seconds instead of minutes). See
docs/nlu.md.

Each featurizer's sentence-level vector is L2-normalised on its own, so a long message's
n-gram counts do not drown the embedding; dense vectors are then scaled by `dense_weight`.
The scores are divided by a temperature fitted on out-of-fold predictions
(components/calibration.py), so the confidence the FallbackClassifier and the personalization
gate read is calibrated. The trained weights are stored as plain numpy arrays (no pickle).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import components.calibration
import nlu_eval.similarity
from components.calibration import fit_calibrated, softmax
from components.fingerprint import code_and_versions
from components.typo_augmenter import AUGMENTED_FROM
from nlu_eval.similarity import duplicate_groups

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"


def sentence_vector(
    message: Message, dense_weight: float
) -> tuple[list[str], scipy.sparse.csr_matrix]:
    """The message's sentence features, one normalised block per featurizer, in name order."""
    blocks: dict[str, scipy.sparse.csr_matrix] = {}
    for feature in message.features:
        if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
            continue
        if feature.is_sparse():
            block = scipy.sparse.csr_matrix(feature.features, dtype=np.float64)
            weight = 1.0
        else:
            block = scipy.sparse.csr_matrix(np.asarray(feature.features, dtype=np.float64))
            weight = dense_weight
        norm = scipy.sparse.linalg.norm(block)
        blocks[feature.origin] = block * (weight / norm) if norm > 0 else block
    origins = sorted(blocks)
    return origins, scipy.sparse.hstack([blocks[o] for o in origins], format="csr")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 10.0, "dense_weight": 2.0, "max_iter": 3000, "ranking_length": 10,
                "calibration_folds": 5}  # 0: no calibration (temperature 1)

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._weights = weights
        self._bias = bias
        self._meta = meta or {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        return code_and_versions([sys.modules[__name__], components.calibration,
                                  nlu_eval.similarity])  # fmt: skip

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.features]
        labels = [m.get("intent") for m in examples]
        if len(set(labels)) < 2:
            raise ValueError("LinearIntentClassifier needs examples of at least two intents.")
        origins = None
        rows = []
        for message in examples:
            message_origins, row = sentence_vector(message, self._config["dense_weight"])
            if origins is None:
                origins = message_origins
            elif message_origins != origins:
                raise ValueError(
                    f"Training example {message.get(TEXT)!r} has features from "
                    f"{message_origins}, the others from {origins}."
                )
            rows.append(row)
        features = scipy.sparse.vstack(rows, format="csr")
        # a misspelt copy (components/typo_augmenter.py) stays in its original's fold
        groups = duplicate_groups([m.get(AUGMENTED_FROM) or m.get(TEXT) for m in examples])
        model, temperature = fit_calibrated(
            features, labels, self._config["C"], groups, self._config["calibration_folds"],
            self._config["max_iter"])  # fmt: skip
        logger.info(f"Intent confidence calibrated: temperature {temperature:.3f}")
        self._weights, self._bias = model.coef_, model.intercept_
        self._meta = {
            "classes": [str(c) for c in model.classes_],
            "origins": origins,
            "dimension": int(model.coef_.shape[1]),
            "temperature": temperature,
        }
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / WEIGHTS_FILE, weights=self._weights, bias=self._bias)
            (directory / META_FILE).write_text(json.dumps(self._meta))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        with model_storage.read_from(resource) as directory:
            arrays = np.load(directory / WEIGHTS_FILE)
            meta = json.loads((directory / META_FILE).read_text())
        return cls(config, model_storage, resource, arrays["weights"], arrays["bias"], meta)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent, ranking = self._predict(message)
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def _predict(self, message: Message) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if self._weights is None or not message.get(TEXT):
            return {"name": None, "confidence": 0.0}, []
        origins, row = sentence_vector(message, self._config["dense_weight"])
        if origins != self._meta["origins"] or row.shape[1] != self._meta["dimension"]:
            raise ValueError(
                f"Message features come from {origins} ({row.shape[1]} dimensions) but the "
                f"classifier was trained on {self._meta['origins']} "
                f"({self._meta['dimension']}). Retrain the model."
            )
        scores = np.asarray(row @ self._weights.T).ravel() + self._bias
        probabilities = softmax(scores / self._meta.get("temperature", 1.0))[0]
        order = np.argsort(-probabilities)[: self._config["ranking_length"]]
        ranking = [
            {"name": self._meta["classes"][i], "confidence": float(probabilities[i])}
            for i in order
        ]
        return ranking[0], ranking
