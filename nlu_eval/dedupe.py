"""Keep the held-out sets apart: drop every held-out message that is a near-copy of a training
example (or of an earlier held-out message), and say which.

    .venv/bin/python -m nlu_eval.dedupe [--dry-run]

Run after adding training examples; tests/test_training_data.py fails until it has been.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from nlu_eval.datasets import HELD_OUT, evaluation_sets, plain, training_set
from nlu_eval.similarity import NEAR_DUPLICATE, near_copies, similarities


def leaked(threshold: float = NEAR_DUPLICATE) -> dict[str, list[tuple[str, str, float]]]:
    """Per held-out set: (message, the training example or the message of an earlier held-out
    set it copies, similarity)."""
    references, _ = training_set()
    result = {}
    for name, pairs in evaluation_sets().items():
        texts = [t for t, _ in pairs]
        result[name] = near_copies(texts, references, threshold)
        references = references + texts
    return result


def repeated_within(pairs: list[tuple[str, str]],
                    threshold: float = NEAR_DUPLICATE) -> list[str]:
    """Messages of one set that nearly repeat an earlier message of the same intent (a near
    pair across two intents is a test of their border, and stays)."""
    repeated: set[int] = set()
    for intent in {i for _, i in pairs}:
        places = [n for n, (_, other) in enumerate(pairs) if other == intent]
        texts = [pairs[n][0] for n in places]
        earlier = np.tril(similarities(texts, texts), k=-1)  # each with those before it
        repeated |= {n for n, row in zip(places, earlier, strict=True) if row.max() >= threshold}
    return [pairs[n][0] for n in sorted(repeated)]


def drop_lines(path: Path, texts: set[str]) -> int:
    """Remove the example lines whose text is in `texts`; the rest of the file stays as it is."""
    kept, dropped = [], 0
    for line in path.read_text().splitlines(keepends=True):
        match = re.match(r"\s*- (.*)$", line)
        if match and plain(match.group(1).strip()) in texts:
            dropped += 1
            continue
        kept.append(line)
    path.write_text("".join(kept))
    return dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    sets = evaluation_sets()
    for name, copies in leaked().items():
        repeats = repeated_within(sets[name])
        for text, example, score in copies:
            print(f"{name}: {text!r} ~ training {example!r} ({score:.2f})")
        for text in repeats:
            print(f"{name}: {text!r} repeats an earlier message of the set")
        doomed = {t for t, _, _ in copies} | set(repeats)
        if doomed and not args.dry_run:
            print(f"{name}: dropped {drop_lines(HELD_OUT[name], doomed)} messages")


if __name__ == "__main__":
    main()
