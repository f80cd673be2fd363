"""The NLU data keeps the promises the rest of the project relies on."""

from collections import Counter

import yaml

from nlu_eval.datasets import (
    CONVERSATION_INTENTS,
    CUSTOMER_REQUEST_INTENTS,
    evaluation_sets,
    normalised,
    plain,
    training_examples,
)
from nlu_eval.dedupe import leaked, repeated_within
from tests.trackers import ROOT


def test_the_fixed_intent_names_are_in_the_domain_and_the_data():
    domain_intents = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    expected = set(CUSTOMER_REQUEST_INTENTS + CONVERSATION_INTENTS)
    assert expected <= domain_intents
    assert expected <= set(training_examples())


def test_every_customer_request_has_at_least_40_distinct_examples():
    data = training_examples()
    too_few = {
        intent: len({normalised(e) for e in data.get(intent, [])})
        for intent in CUSTOMER_REQUEST_INTENTS
        if len({normalised(e) for e in data.get(intent, [])}) < 40
    }
    assert too_few == {}


def test_no_example_is_labelled_with_two_intents():
    owners: dict[str, set[str]] = {}
    for intent, examples in training_examples().items():
        for example in examples:
            owners.setdefault(normalised(example), set()).add(intent)
    assert {text: owners_ for text, owners_ in owners.items() if len(owners_) > 1} == {}


def test_no_duplicate_examples_within_an_intent():
    duplicates = {
        intent: [text for text, n in Counter(map(normalised, examples)).items() if n > 1]
        for intent, examples in training_examples().items()
    }
    assert {intent: d for intent, d in duplicates.items() if d} == {}


def test_held_out_messages_are_not_near_copies_of_training_examples():
    """The held-out sets measure generalisation, not memory: no message in them may be a
    near-copy of a training example (`python -m nlu_eval.dedupe` drops such messages)."""
    assert leaked() == {"definitions": [], "holdout": []}


def test_held_out_sets_do_not_repeat_themselves():
    assert {name: repeated_within(pairs) for name, pairs in evaluation_sets().items()} == {
        "definitions": [], "holdout": []
    }


def test_story_messages_are_not_training_examples():
    """The test stories check understanding and dialogue together on unseen messages."""
    seen = {normalised(e) for examples in training_examples().values() for e in examples}
    story_texts = []
    for path in ROOT.glob("tests/test_*.yml"):
        for story in yaml.safe_load(path.read_text()).get("stories", []):
            story_texts += [plain(s["user"]) for s in story["steps"] if "user" in s]
    assert sorted({t for t in story_texts if normalised(t) in seen}) == []
