"""The robustness suite (nlu_eval/robustness.py): each transformation changes a held-out message
the way customers' messages differ, and leaves the rest of it as it was."""

import random
import re

import pytest
import yaml

from nlu_eval.robustness import (
    COMPLAINT_OPENERS,
    GREETING_CLOSERS,
    GREETING_OPENERS,
    KEYBOARD_NEIGHBOURS,
    SYNONYM_FAMILIES,
    TRANSFORMATIONS,
    robustness_suite,
)
from tests.trackers import ROOT

SHORT = "Where is my parcel?"  # 4 words: 1 typo
LONG = "Hello, I bought a blender last Monday and it still has not arrived, please help"  # 2
SEEDS = range(40)
TYPOS = ["typo_drop", "typo_swap", "typo_double", "keyboard_typo"]
AMOUNT = re.compile(r"[€$£]\d+\.\d\d\b|\b\d+(?:\.\d\d)? (?:euros|EUR)\b")
EIGHT_DIGITS = re.compile(r"(?<!\d)\d{8}(?!\d)")
MESSAGES = [
    ("Where's my order ORD-55501234?", "track_order"),
    ("I want a refund for the broken kettle", "get_refund"),
    ("talk to an agent", "contact_human_agent"),
    ("hi there", "greet"),
    ("ok", "affirm"),
    ("Can I get INV-204518 again, please?", "get_invoice"),
    ("unsubscribe me from your newsletter", "newsletter_subscription"),
]


def transform(name: str, text: str, seed: int = 0) -> str | None:
    return TRANSFORMATIONS[name](text, random.Random(seed))


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def changed_words(original: str, changed: str) -> list[tuple[str, str]]:
    before, after = original.split(), changed.split()
    assert len(before) == len(after), changed
    return [(a, b) for a, b in zip(before, after, strict=True) if a != b]


def test_the_transformations_are_these():
    assert list(TRANSFORMATIONS) == [
        *TYPOS, "lower_no_punct", "synonym", "greeting_wrap", "complaint_wrap", "with_number",
    ]  # fmt: skip


@pytest.mark.parametrize("name", TYPOS)
@pytest.mark.parametrize(("text", "typos"), [(SHORT, 1), (LONG, 2)])
def test_typos_change_one_word_of_a_short_message_two_of_a_long_one(name, text, typos):
    results = set()
    for seed in SEEDS:
        changed = transform(name, text, seed)
        words = changed_words(text, changed)
        assert len(words) == typos, changed
        for before, after in words:
            assert len(before) >= 4 and after[0] == before[0], changed
            if name == "typo_swap":
                assert len(after) == len(before)
                differ = [i for i in range(len(before)) if before[i] != after[i]]
                i = differ[0]
                assert differ == [i, i + 1] and after[i : i + 2] == before[i + 1] + before[i]
            else:
                assert levenshtein(before, after) == 1, changed
        results.add(changed)
    assert len(results) > 5  # the generator picks the words and letters


def test_typo_drop_and_double_change_the_length_by_one_letter():
    for seed in SEEDS:
        ((before, dropped),) = changed_words(SHORT, transform("typo_drop", SHORT, seed))
        assert len(dropped) == len(before) - 1
        ((before, doubled),) = changed_words(SHORT, transform("typo_double", SHORT, seed))
        assert doubled in {before[: i + 1] + before[i:] for i in range(1, len(before))}


def test_keyboard_typos_hit_a_neighbouring_key():
    assert set(KEYBOARD_NEIGHBOURS) == set("abcdefghijklmnopqrstuvwxyz")
    assert set(KEYBOARD_NEIGHBOURS["s"]) == set("weadzx")
    assert set(KEYBOARD_NEIGHBOURS["p"]) == set("ol")
    assert all(a in KEYBOARD_NEIGHBOURS[b] for a, near in KEYBOARD_NEIGHBOURS.items() for b in near)
    for seed in SEEDS:
        for before, after in changed_words(LONG, transform("keyboard_typo", LONG, seed)):
            (i,) = [i for i in range(len(before)) if before[i] != after[i]]
            assert after[i].lower() in KEYBOARD_NEIGHBOURS[before[i].lower()]
            assert after[i].isupper() == before[i].isupper()


@pytest.mark.parametrize("name", TYPOS)
def test_typos_leave_short_words_ids_and_addresses_alone(name):
    assert transform(name, "ok, why not ORD-55501234 to bob.smith@example.com") is None
    for seed in SEEDS:
        changed = transform(name, "Where is my ORD-55501234", seed)
        assert changed.endswith(" is my ORD-55501234")


def test_lower_no_punct():
    lower = TRANSFORMATIONS["lower_no_punct"]
    assert lower("Hi!! Where's my refund for ORD-55501234 and INV-204518?  It was €45.99, thx.",
                 random.Random(0)) == (
        "hi wheres my refund for ORD-55501234 and INV-204518 it was €45.99 thx")  # fmt: skip
    assert lower("Please e-mail me (Jane.Doe@Example.com) - order #48291036!!", None) == (
        "please e-mail me jane.doe@example.com order #48291036"
    )
    assert lower("I'm NOT happy…", None) == "im not happy"


def test_synonym_replaces_one_family_word_by_another():
    results = {transform("synonym", "Where is my order?", seed) for seed in SEEDS}
    assert results == {f"Where is my {w}?" for w in ("purchase", "package", "parcel", "shipment")}
    for seed in SEEDS:
        changed = transform("synonym", "I was charged twice for this invoice", seed)
        assert changed in {f"I was charged twice for this {w}" for w in ("bill", "receipt")}


def test_synonym_replaces_phrases_as_a_whole():
    for seed in SEEDS:
        assert transform("synonym", "I want a refund", seed) in {
            "I want a reimbursement", "I want my money back"}  # fmt: skip
        assert transform("synonym", "give me my  money back", seed) in {
            "give me a refund", "give me a reimbursement"}  # fmt: skip
        assert transform("synonym", "my pass word is wrong", seed) in {
            "my password is wrong", "my login details is wrong"}  # fmt: skip


def test_synonym_keeps_the_capitals_and_fits_the_article():
    for seed in SEEDS:
        assert transform("synonym", "Invoice missing", seed) in {"Bill missing", "Receipt missing"}
        assert transform("synonym", "CANCEL IT NOW", seed) in {"CALL OFF IT NOW", "SCRAP IT NOW"}
        assert transform("synonym", "I need an agent", seed) in {
            "I need a person", "I need a human", "I need a representative"}  # fmt: skip
        assert transform("synonym", "is there a human", seed) in {
            "is there an agent", "is there a person", "is there a representative"}  # fmt: skip


def test_synonym_applies_only_to_whole_family_words():
    for text in ["hello, how are you?", "I'm reordering a sofa", "I ordered it on Monday",
                 "write to order@brightcart.com", "my gift card", "is cash on delivery ok",
                 "show my order history", "how do I place an order?"]:  # fmt: skip
        assert transform("synonym", text) is None, text


def test_each_synonym_belongs_to_one_family():
    members = [member for family in SYNONYM_FAMILIES for member in family]
    assert len(members) == len(set(members))
    assert all(len(family) >= 2 for family in SYNONYM_FAMILIES)
    assert all(member == member.lower().strip() for member in members)


def test_greeting_wrap_adds_a_greeting_or_a_sign_off_around_the_message():
    results = set()
    for seed in SEEDS:
        changed = transform("greeting_wrap", SHORT, seed)
        opened = [len(o) for o in GREETING_OPENERS if changed.startswith(o)]
        closed = [len(c) + 1 for c in GREETING_CLOSERS if changed.endswith(" " + c)]
        assert opened or closed, changed
        start, end = max(opened, default=0), len(changed) - max(closed, default=0)
        assert changed[start:end].lower() == SHORT.lower()
        results.add((bool(opened), bool(closed)))
    assert results == {(True, False), (False, True), (True, True)}
    for seed in SEEDS:  # no second thanks
        assert transform("greeting_wrap", "I am fine thanks", seed).endswith(" am fine thanks")


def test_complaint_wrap_adds_frustration_only():
    for seed in SEEDS:
        changed = transform("complaint_wrap", SHORT, seed)
        assert changed in [  # "seriously, where is..." but "Still no answer from you. Where is..."
            o + (SHORT if o.rstrip()[-1] in ".!" else SHORT.lower()) for o in COMPLAINT_OPENERS
        ]
        assert transform("complaint_wrap", "I'm still waiting", seed).endswith(" I'm still waiting")
    request = re.compile(
        r"refund|cancel|complain|agent|human|person|order|deliver|invoice|account|password"
        r"|e-?mail|newsletter|subscri|help|money|speak|talk"
    )
    family_words = {w for family in SYNONYM_FAMILIES for m in family for w in m.split()} - {
        "my", "the", "a", "it", "of", "from"}  # fmt: skip
    for opener in COMPLAINT_OPENERS:
        assert not request.search(opener.lower()), opener
        assert not family_words & set(re.findall(r"[\w-]+", opener.lower())), opener
    assert len(COMPLAINT_OPENERS) >= 10


def test_with_number_adds_an_order_number_or_an_amount_before_the_final_punctuation():
    order_id = next(block["examples"] for block in yaml.safe_load(
        (ROOT / "data" / "nlu" / "entities.yml").read_text())["nlu"]
        if block.get("regex") == "order_id")  # fmt: skip
    order_id = re.compile(order_id.strip().removeprefix("- "))
    kinds = set()
    for seed in SEEDS:
        changed = transform("with_number", SHORT, seed)
        assert changed.startswith(SHORT[:-1] + " ") and changed.endswith("?"), changed
        if EIGHT_DIGITS.search(changed):
            assert order_id.search(changed), changed  # as the assistant recognises them
            kinds.add("ORD-" if "ORD-" in changed else "#" if "#" in changed else "digits")
        else:
            assert AMOUNT.search(changed), changed
            kinds.add("amount")
    assert kinds == {"amount", "ORD-", "#", "digits"}
    for seed in SEEDS:
        assert AMOUNT.search(transform("with_number", "has 48213907 shipped yet", seed))
        changed = transform("with_number", "I was charged €45.99 twice, please", seed)
        assert EIGHT_DIGITS.search(changed) and changed.endswith(", please"), changed


def test_the_suite_is_deterministic_and_depends_on_the_seed_only():
    suite = robustness_suite(MESSAGES, seed=1)
    assert robustness_suite(MESSAGES, seed=1) == suite
    reversed_suite = robustness_suite(MESSAGES[::-1], seed=1)
    assert {name: sorted(rows) for name, rows in reversed_suite.items()} == {
        name: sorted(rows) for name, rows in suite.items()}  # fmt: skip
    other = robustness_suite(MESSAGES, seed=2)
    assert all(other[name] != suite[name] for name in TYPOS)


def test_the_suite_keeps_the_intent_and_drops_what_does_not_apply_or_change():
    suite = robustness_suite(MESSAGES)
    assert list(suite) == list(TRANSFORMATIONS)
    intent_of = dict(MESSAGES)
    for name, rows in suite.items():
        for intent, original, changed in rows:
            assert intent == intent_of[original] and changed != original, (name, changed)
    originals = {name: [original for _, original, _ in rows] for name, rows in suite.items()}
    assert "ok" not in originals["typo_drop"]  # no word of 4 letters
    assert "hi there" in originals["typo_drop"]
    assert "hi there" not in originals["lower_no_punct"]  # unchanged
    assert "talk to an agent" not in originals["lower_no_punct"]
    assert "Where's my order ORD-55501234?" in originals["lower_no_punct"]
    assert "hi there" not in originals["synonym"]  # no family word
    assert "talk to an agent" in originals["synonym"]
    assert originals["with_number"] == [text for text, _ in MESSAGES]  # applies to all
