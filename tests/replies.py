"""What the assistant may answer: the domain's response variations, for end-to-end tests."""

from __future__ import annotations

import uuid
from functools import lru_cache

import yaml

from tests.trackers import ROOT


@lru_cache(maxsize=1)
def responses() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]


def variations(response: str, **slots: str) -> list[str]:
    """Every text the domain allows for `response`, in domain order, with the given slot
    placeholders filled."""
    texts = []
    for variation in responses()[response]:
        text = variation["text"]
        for name, value in slots.items():
            text = text.replace("{" + name + "}", value)
        texts.append(text)
    return texts


def default(response: str) -> str:
    """The variation everyone gets when no condition matches (an anonymous visitor)."""
    return next(v["text"] for v in responses()[response] if not v.get("condition"))


def conversation() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def texts(replies: list[dict]) -> list[str]:
    return [r.get("text") for r in replies]
