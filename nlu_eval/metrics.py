"""The figures that say how well the assistant understands: from one parse per labelled message.

A `Parse` is what the NLU said of one message: the final intent (which may be the fallback),
and the best intent other than the fallback with its probability. Everything here is plain
arithmetic on those, so the same code scores a Rasa model, a candidate classifier in a
benchmark, or a cross-validation fold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Parse:
    text: str
    expected: str
    intent: str  # what the assistant acts on: the best intent or nlu_fallback
    best: str  # the best intent other than nlu_fallback
    confidence: float  # the classifier's probability of `best`

    @property
    def fallback(self) -> bool:
        return self.intent == FALLBACK

    @property
    def right(self) -> bool:
        return self.best == self.expected


def from_rasa(result: dict) -> tuple[str, str, float]:
    """(intent acted on, best non-fallback intent, its confidence) from a Rasa parse result
    (`/model/parse` or `Agent.parse_message`)."""
    best = next(r for r in result["intent_ranking"] if r["name"] != FALLBACK)
    return result["intent"]["name"], best["name"], float(best["confidence"])


def reliability_bins(parses: list[Parse], bins: int = 10) -> list[dict]:
    """Equal-width confidence bins: how many messages, mean confidence, share right."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    confidence = np.array([p.confidence for p in parses])
    right = np.array([p.right for p in parses], dtype=float)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=False), 0, bins - 1)
    rows = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        rows.append({
            "low": float(edges[b]), "high": float(edges[b + 1]), "count": count,
            "confidence": float(confidence[members].mean()) if count else None,
            "accuracy": float(right[members].mean()) if count else None,
        })  # fmt: skip
    return rows


def expected_calibration_error(parses: list[Parse], bins: int = 10) -> float:
    """Mean |accuracy - confidence| over the bins, weighted by how many messages each holds."""
    total = len(parses)
    return sum(
        row["count"] / total * abs(row["accuracy"] - row["confidence"])
        for row in reliability_bins(parses, bins)
        if row["count"]
    )


@dataclass(frozen=True)
class Summary:
    messages: int
    accuracy: float  # answered with the right intent (a fallback counts as wrong)
    fallback_rate: float
    best_right: float  # the best non-fallback intent is right
    confident_wrong: float  # not sent to the fallback, and wrong
    gate_coverage: float  # at or above the gate and right, of all messages
    right_above_gate: float  # of the messages at or above the gate, the share right
    ece: float

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(parses: list[Parse], gate: float = 0.8) -> Summary:
    if not parses:
        raise ValueError("No messages to score.")
    n = len(parses)
    above = [p for p in parses if p.confidence >= gate]
    return Summary(
        messages=n,
        accuracy=sum(p.intent == p.expected for p in parses) / n,
        fallback_rate=sum(p.fallback for p in parses) / n,
        best_right=sum(p.right for p in parses) / n,
        confident_wrong=sum(not p.fallback and not p.right for p in parses) / n,
        gate_coverage=sum(p.right for p in above) / n,
        right_above_gate=sum(p.right for p in above) / len(above) if above else 0.0,
        ece=expected_calibration_error(parses),
    )


def out_of_scope_rejection(parses: list[Parse]) -> dict:
    """Of messages a store cannot answer: the share recognised as out of scope, and the share
    at least not taken for a store request (out of scope or sent to the fallback)."""
    n = len(parses)
    if not n:
        raise ValueError("No out-of-scope messages to score.")
    return {
        "messages": n,
        "out_of_scope": sum(p.intent == OUT_OF_SCOPE for p in parses) / n,
        "rejected": sum(p.intent in (OUT_OF_SCOPE, FALLBACK) for p in parses) / n,
        "taken_for": dict(Counter(p.intent for p in parses if p.intent not in
                                  (OUT_OF_SCOPE, FALLBACK)).most_common(8)),
    }  # fmt: skip


def per_intent(parses: list[Parse]) -> dict[str, dict]:
    """Per expected intent: messages, accuracy, and what it was taken for most often."""
    rows: dict[str, dict] = {}
    for intent in sorted({p.expected for p in parses}):
        mine = [p for p in parses if p.expected == intent]
        wrong = Counter(p.intent for p in mine if p.intent != intent)
        rows[intent] = {
            "messages": len(mine),
            "accuracy": sum(p.intent == intent for p in mine) / len(mine),
            "confused_with": dict(wrong.most_common(3)),
        }
    return rows


def threshold_tradeoff(parses: list[Parse], thresholds: list[float]) -> list[dict]:
    """For each candidate fallback threshold: the share sent to the fallback, answered right,
    and answered wrong (confidently, above the threshold)."""
    n = len(parses)
    rows = []
    for t in thresholds:
        kept = [p for p in parses if p.confidence >= t]
        rows.append({
            "threshold": t,
            "fallback_rate": 1 - len(kept) / n,
            "accuracy": sum(p.right for p in kept) / n,
            "confident_wrong": sum(not p.right for p in kept) / n,
        })  # fmt: skip
    return rows
