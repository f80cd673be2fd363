"""Whitespace tokens whose lemma writes every number as 0, for the n-gram featurizers.

Order numbers, amounts and dates are different in every message, and their character
n-grams ("104", "829", ...) only ever taught the classifier that digits mean an order
question: measured, "how do I create an account (order #10482913)" went wrong far more often
than without the number (docs/nlu.md). The count featurizers read the lemma ("#0"), while
the token text, which the entity extractors read, stays as written.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

_NUMBER = re.compile(r"\d+")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class NumberTokenizer(WhitespaceTokenizer):
    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = _NUMBER.sub("0", token.lemma)
        return tokens
