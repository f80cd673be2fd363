"""Robustness suite: held-out messages changed the way real customer traffic changes them.

Each transformation takes a message and a random generator and returns the changed message, or
None where it does not apply (no word to misspell, no synonym to swap). `robustness_suite` runs
every transformation over (text, intent) pairs, as `nlu_eval.datasets.pairs` gives them, with a
generator seeded per transformation and message, so results do not depend on order.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

# The letters next to each letter on a QWERTY keyboard.
KEYBOARD_NEIGHBOURS = dict(pair.split(":") for pair in (
    "q:aw w:aeqs e:drsw r:deft t:fgry y:ghtu u:hijy i:jkou o:iklp p:lo a:qswz s:adewxz "
    "d:cefrsx f:cdgrtv g:bfhtvy h:bgjnuy j:hikmnu k:ijlmo l:kop z:asx x:cdsz c:dfvx v:bcfg "
    "b:ghnv n:bhjm m:jkn"
).split())  # fmt: skip

# Words and phrases customers use for the same thing in a shop's support chat. Phrases with a
# determiner hold the nouns that are no verbs ("my parcel", never "I want to parcel a sofa").
SYNONYM_FAMILIES = (
    ("order", "purchase"), ("orders", "purchases"), ("package", "parcel"),
    ("my order", "my purchase", "my package", "my parcel", "my shipment"),
    ("a refund", "a reimbursement", "my money back"), ("the refund", "the reimbursement"),
    ("my refund", "my reimbursement"),
    ("invoice", "bill", "receipt"), ("invoices", "bills", "receipts"),
    ("account", "profile"), ("my account", "my profile", "my login"),
    ("password", "pass word"), ("my password", "my pass word", "my login details"),
    ("cancel", "call off", "scrap"), ("delivery", "shipping"), ("address", "adress"),
    ("email", "e-mail"), ("emails", "e-mails"), ("newsletter", "mailing list", "promo emails"),
    ("unsubscribe from", "opt out of"), ("complaint", "grievance"),
    ("agent", "representative"), ("an agent", "a person", "a human", "a representative"),
    ("subscription", "membership"), ("my subscription", "my membership", "my plan"),
    ("my payment", "my charge"),  # not "a charge": a fee
    ("my card", "my credit card", "my bank card"),
    ("tracking number", "tracking code", "tracking id"),
    ("discount code", "promo code", "voucher code", "coupon code"),
    ("damaged", "broken"), ("return it", "send it back"),
)  # fmt: skip
# Phrases whose words keep their meaning: "cash on shipping" or "my package history" are not
# what customers write.
FIXED_PHRASES = (
    "cash on delivery", "out for delivery", "delivery guy", "delivery driver", "pay by invoice",
    "place an order", "placed an order", "place order", "put an order", "order history",
    "purchase history", "order data", "purchase data", "order total", "bank account",
    "payment method", "payment option", "payment page",
)  # fmt: skip

GREETING_OPENERS = (
    "hi, ", "Hello there! ", "good morning, ", "hey team - ", "Hi! ", "hello, ",
    "Good afternoon. ", "hey there, ", "hiya ", "Good evening, ", "Hi, hope you're well. ",
    "sorry to bother you, ",
)  # fmt: skip
GREETING_CLOSERS = (
    "thanks", "cheers", "thank you in advance", "thx", "many thanks!", "much appreciated",
    "ty", "kind regards",
)  # fmt: skip

# Frustration only: no word that asks for something (refund, cancel, complaint, agent...).
COMPLAINT_OPENERS = (
    "I've been waiting for ages. ", "This is the third time I'm asking. ",
    "honestly really disappointed, ", "nobody ever answers me so ",
    "I'm getting really frustrated. ", "Still no answer from you. ", "seriously, ",
    "this is getting ridiculous. ", "I have tried everything already. ",
    "not happy at all. ", "ugh, again. ",
)  # fmt: skip

ORDER_PREFIXES = ("", "#", "ORD-")
ORDER_PHRASES = ("for order {}", "(order {})", "order number {}", "on order {}")
ORDER_PHRASES_AFTER_ORDER = ("({})", "number {}", "- it's {}")  # the message says "order"
AMOUNT_PHRASES = ("it was {}", "({})", "for {}", "it cost {}", "(total {})")

_WORD = re.compile(r"\b[^\W\d_]{4,}\b")  # words of 4+ letters, not parts of ids like INV204518
_PASTED = re.compile(r"@|://|www\.|\d")  # tokens typed by copy and paste
_END = re.compile(  # final punctuation, with a last "please" or "thanks"
    r"^(.*?)((?:[.,!?]?\s*\b(?:please|pls|thanks|thank you|thx|cheers)\b)?[\s.!?]*)$",
    re.S | re.IGNORECASE,
)
_THANKS_AT_END = re.compile(r"\b(?:thanks|thank you|thx|cheers|ty)\W*$", re.IGNORECASE)
_HAS_ORDER_NUMBER = re.compile(r"\d{8}|\d{4}[- ]\d{4}")
_HAS_AMOUNT = re.compile(r"[€$£]\s?\d|\d\s?(?:euros?|eur|dollars?|pounds?|usd|gbp)\b", re.I)
_TO_KEEP_OR_SPACE = re.compile(
    r"(?P<keep>[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|(?<=\w)-(?=\w)|(?<=\d)[.,](?=\d))"  # ORD-123, INV-204518, e-mail; 45.99
    r"|[^\w\s#€$£%]|_"
)


_FAMILY_OF = {member: family for family in SYNONYM_FAMILIES for member in family}
_SYNONYM = re.compile(
    r"(?<![\w@.-])(?:"
    + "|".join(re.escape(m).replace(r"\ ", r"\s+") for m in sorted(_FAMILY_OF, key=len)[::-1])
    + r")(?![\w@-]|\.\w)",  # not in e-mail addresses
    re.IGNORECASE,
)


def _typos(edit: Callable[[str, random.Random], str | None]):
    """A transformation misspelling 1 word of a message up to 6 words long, 2 of a longer one.
    `edit` changes one word (never its first letter), or gives None if it cannot whatever the
    generator; words of e-mail addresses, links and ids are left alone."""

    def transform(text: str, rng: random.Random) -> str | None:
        words = [w for token in re.finditer(r"\S+", text) if not _PASTED.search(token.group())
                 for w in _WORD.finditer(text, token.start(), token.end())
                 if edit(w.group(), random.Random(0))]  # fmt: skip
        if not words:
            return None
        wanted = 1 if len(text.split()) <= 6 else 2
        chosen = sorted(rng.sample(words, min(wanted, len(words))), key=lambda m: m.start())
        for m in reversed(chosen):
            text = text[: m.start()] + edit(m.group(), rng) + text[m.end() :]
        return text

    return transform


def _drop(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :]


def _swap(word: str, rng: random.Random) -> str | None:
    pairs = [i for i in range(1, len(word) - 1) if word[i].lower() != word[i + 1].lower()]
    if not pairs:
        return None
    i = rng.choice(pairs)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _double(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[: i + 1] + word[i:]


def _keyboard(word: str, rng: random.Random) -> str | None:
    places = [i for i in range(1, len(word)) if word[i].lower() in KEYBOARD_NEIGHBOURS]
    if not places:
        return None
    i = rng.choice(places)
    key = rng.choice(KEYBOARD_NEIGHBOURS[word[i].lower()])
    return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1 :]


def lower_no_punct(text: str, rng: random.Random | None = None) -> str:
    """Lower case (but ids with digits as pasted: ORD-55501234), no punctuation or apostrophes
    ("where's" -> "wheres"), whitespace collapsed; keeps #, amounts, e-mail addresses."""
    text = re.sub(r"['’`]", "", text)
    text = " ".join(t if any(c.isdigit() for c in t) else t.lower() for t in text.split())
    return " ".join(_TO_KEEP_OR_SPACE.sub(lambda m: m.group("keep") or " ", text).split())


def _like(original: str, new: str) -> str:
    if len(original) > 1 and original.isupper():
        return new.upper()
    return new[0].upper() + new[1:] if original[0].isupper() else new


def synonym(text: str, rng: random.Random) -> str | None:
    """One word or phrase of SYNONYM_FAMILIES replaced by another of its family."""
    fixed = [m.span() for p in FIXED_PHRASES for m in re.finditer(re.escape(p), text, re.I)]
    matches = [m for m in _SYNONYM.finditer(text)
               if not any(m.start() < end and start < m.end() for start, end in fixed)]  # fmt: skip
    if not matches:
        return None
    m = rng.choice(matches)
    found = " ".join(m.group().lower().split())
    new = _like(m.group(), rng.choice([w for w in _FAMILY_OF[found] if w != found]))
    before = text[: m.start()]
    article = re.search(r"\b(an?)(\s+)$", before, re.IGNORECASE)
    if article:  # "an order" -> "a purchase"
        fitting = "an" if new[0].lower() in "aeiou" else "a"
        before = before[: article.start()] + _like(article.group(1), fitting) + article.group(2)
    return before + new + text[m.end() :]


def _after(opener: str, text: str) -> str:
    """The message after an opener, lower case first unless a sentence starts ("Hi! Where")."""
    first = (text.split() or [""])[0]
    if opener.rstrip()[-1] in ".!" or first.isupper() or first.startswith("I'"):
        return opener + text
    return opener + text[:1].lower() + text[1:]


def greeting_wrap(text: str, rng: random.Random) -> str:
    """A greeting before the message, a sign-off after it, or both."""
    where = rng.choice(("before", "after", "both"))
    if _THANKS_AT_END.search(text):
        where = "before"
    if where != "after":
        text = _after(rng.choice(GREETING_OPENERS), text)
    if where != "before":
        closer = rng.choice(GREETING_CLOSERS)
        text = text.rstrip() + (" " if text.rstrip()[-1:] in ".!?" else rng.choice((", ", " ")))
        text += closer
    return text


def complaint_wrap(text: str, rng: random.Random) -> str:
    """An annoyed sentence before the request."""
    return _after(rng.choice(COMPLAINT_OPENERS), text)


def with_number(text: str, rng: random.Random) -> str:
    """An order number or an amount added before the message's final punctuation."""
    add_order = rng.random() < 0.5
    if _HAS_AMOUNT.search(text) or _HAS_ORDER_NUMBER.search(text):
        add_order = not _HAS_ORDER_NUMBER.search(text)
    if add_order:
        number = rng.choice(ORDER_PREFIXES) + str(rng.randrange(10_000_000, 100_000_000))
        says_order = re.search(r"\border\b", text, re.IGNORECASE)
        phrase = rng.choice(ORDER_PHRASES_AFTER_ORDER if says_order else ORDER_PHRASES)
    else:
        euros, cents = rng.randrange(1, 500), rng.choice((0, 50, 99, rng.randrange(100)))
        amount = rng.choice((
            f"€{euros}.{cents:02d}", f"${euros}.{cents:02d}", f"£{euros}.{cents:02d}",
            f"{euros} euros", f"{euros}.{cents:02d} EUR",
        ))  # fmt: skip
        number, phrase = amount, rng.choice(AMOUNT_PHRASES)
    body, end = _END.match(text).groups()
    return f"{body} {phrase.format(number)}{end}".strip()


TRANSFORMATIONS: dict[str, Callable[[str, random.Random], str | None]] = {
    "typo_drop": _typos(_drop),
    "typo_swap": _typos(_swap),
    "typo_double": _typos(_double),
    "keyboard_typo": _typos(_keyboard),
    "lower_no_punct": lower_no_punct,
    "synonym": synonym,
    "greeting_wrap": greeting_wrap,
    "complaint_wrap": complaint_wrap,
    "with_number": with_number,
}


def robustness_suite(
    messages: list[tuple[str, str]], seed: int = 0
) -> dict[str, list[tuple[str, str, str]]]:
    """For each transformation name, a list of (intent, original, transformed) for every
    (text, intent) message the transformation applies to (returns None = not applicable, e.g.
    no key noun to swap; a result equal to the original is also dropped)."""
    suite: dict[str, list[tuple[str, str, str]]] = {}
    for name, transform in TRANSFORMATIONS.items():
        suite[name] = []
        for text, intent in messages:
            changed = transform(text, random.Random(f"{seed}:{name}:{text}"))
            if changed is not None and changed != text:
                suite[name].append((intent, text, changed))
    return suite
