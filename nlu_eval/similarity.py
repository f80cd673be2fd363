"""Near-duplicate messages, by the cosine of their character n-gram vectors.

Exact-copy checks miss "where is my order 12345678?" next to "where is my order?". Character
3-5-grams inside word boundaries, on lower-cased text with digits collapsed, score such pairs
high while two different sentences about the same thing stay low (see NEAR_DUPLICATE).
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse.csgraph
from sklearn.feature_extraction.text import TfidfVectorizer

# At or above this cosine two messages count as one. Measured on the project's data: "please
# call me back" ~ "call me back pls" 0.71, "change my email address" ~ "change email" 0.75 are
# copies in all but form; "Is it possible to go from Premium back to Plus?" ~ "can I go from
# Plus to Premium" 0.63 and "where is my parcel" ~ "where is my order" 0.57 are other sentences.
# Term frequencies only (no IDF), so a pair scores the same whatever corpus it sits in.
NEAR_DUPLICATE = 0.7

_DIGITS = re.compile(r"\d+")


def _normalise(text: str) -> str:
    return _DIGITS.sub("0", text.lower())


def _vectoriser(corpus: list[str]) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), preprocessor=_normalise, sublinear_tf=True,
        use_idf=False,
    ).fit(corpus)


def similarities(queries: list[str], references: list[str]) -> np.ndarray:
    """The cosine of every query with every reference (queries x references)."""
    vectoriser = _vectoriser(queries + references)
    return (vectoriser.transform(queries) @ vectoriser.transform(references).T).toarray()


def nearest(queries: list[str], references: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the index of its most similar reference and that similarity."""
    if not queries or not references:
        return np.zeros(len(queries), dtype=int), np.zeros(len(queries))
    similarity = similarities(queries, references)
    index = similarity.argmax(axis=1)
    return index, similarity[np.arange(len(queries)), index]


def near_copies(queries: list[str], references: list[str],
                threshold: float = NEAR_DUPLICATE) -> list[tuple[str, str, float]]:
    """(query, its near-copy among the references, similarity) for every query that has one."""
    index, score = nearest(queries, references)
    return [
        (q, references[i], float(s))
        for q, i, s in zip(queries, index, score, strict=True)
        if s >= threshold
    ]


def duplicate_groups(texts: list[str], threshold: float = NEAR_DUPLICATE) -> np.ndarray:
    """A group number per text; texts linked by a chain of near-duplicates share one, so a
    grouped cross-validation keeps them in the same fold."""
    if not texts:
        return np.zeros(0, dtype=int)
    vectoriser = _vectoriser(texts)
    matrix = vectoriser.transform(texts)
    linked = (matrix @ matrix.T) >= threshold
    _, groups = scipy.sparse.csgraph.connected_components(linked, directed=False)
    return groups
