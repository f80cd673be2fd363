"""Training examples with the typos real customers make, added at training time only.

Customers drop, swap and double letters and hit neighbouring keys ("refnud", "invocie",
"adress"). A sentence encoder reads a misspelt key word as another word, so without such
examples the classifier loses a quarter of its accuracy on misspelt messages (docs/nlu.md).
Placed first in the pipeline, this component gives `share` of the intent examples one
misspelt copy each (the typo transformations of nlu_eval.robustness, a seeded generator per
example, so the same data trains the same model); at prediction time it does nothing.
Examples with entities are left alone: a typo would move the entity's characters. Each copy
remembers its original (`AUGMENTED_FROM`), so calibration keeps the two in one fold.
"""

from __future__ import annotations

import random
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import nlu_eval.robustness
from components.fingerprint import code_and_versions
from nlu_eval.robustness import TRANSFORMATIONS

TYPOS = ("typo_drop", "typo_swap", "typo_double", "keyboard_typo")
AUGMENTED_FROM = "augmented_from"


def misspelt_copies(examples: list[tuple[str, str]], share: float, seed: int
                    ) -> list[tuple[str, str, str]]:  # fmt: skip
    """(misspelt text, intent, original) for about `share` of the (text, intent) examples."""
    copies = []
    for text, intent in examples:
        rng = random.Random(f"{seed}:augment:{text}")
        if rng.random() >= share:
            continue
        changed = TRANSFORMATIONS[rng.choice(TYPOS)](text, rng)
        if changed and changed != text:
            copies.append((changed, intent, text))
    return copies


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class TypoAugmenter(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"share": 0.5, "seed": 0}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TypoAugmenter:  # fmt: skip
        return cls(config)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        return code_and_versions([nlu_eval.robustness])

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        examples = [(m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples
                    if m.get(TEXT) and not m.get(ENTITIES)]  # fmt: skip
        copies = misspelt_copies(examples, self._config["share"], self._config["seed"])
        extra = TrainingData([Message(data={TEXT: text, INTENT: intent, AUGMENTED_FROM: original})
                              for text, intent, original in copies])  # fmt: skip
        return training_data.merge(extra)

    def process(self, messages: list[Message]) -> list[Message]:
        return messages
