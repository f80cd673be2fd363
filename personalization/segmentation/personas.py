"""Readable personas for segments, and an analyst's YAML file that renames them.

A persona says how a segment differs from everyone: each feature's segment mean against
the population mean, in population standard deviations, measured on the unscaled frame so
the description can quote euros and counts a person recognises.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

NOTABLE = 0.5  # |z| below this is "about average" and never names a segment
MONEY = re.compile(r"spend|revenue|charge|order_value|aov|ltv|clv|monetary")

# (feature-name pattern, kind, word when higher, word when lower). First match wins, so
# "days_since_last_order" is recency, not orders, and "avg_order_value" is value.
VOCABULARY: tuple[tuple[str, str, str | None, str | None], ...] = (
    (r"days_since|recency|last_seen|inactive", "recency", "lapsed", "recently active"),
    (r"csat|satisf|rating|nps", "satisfaction", "satisfied", "unhappy"),
    (r"escalat|ticket|support|complaint|chat", "support", None, "low-maintenance"),
    (r"tenure|signup|account_age|customer_since", "tenure", "long-standing", "new"),
    (MONEY.pattern, "value", "high-value", "low-spend"),
    (r"return", "returns", "return-prone", None),
    (r"order|frequen|purchase", "frequency", "frequent", "infrequent"),
    (r"view|event|engag|session|visit|click|page", "engagement", "engaged", "casual"),
)
# Adjectives in natural English order (opinion, age, then the rest); the noun is the most
# telling of the traits used: "High-value frequent support seekers", "Infrequent casual users".
ADJECTIVE_ORDER = ("satisfaction", "recency", "tenure", "support", "value", "frequency",
                   "returns", "engagement")  # fmt: skip
NOUNS = (("support", True, "support seekers"), ("engagement", None, "users"),
         ("frequency", None, "buyers"))  # fmt: skip


class PersonaFileError(ValueError):
    """A persona override file that cannot be applied; the message names file and line."""


@dataclass(frozen=True)
class Persona:
    segment: int
    name: str
    description: str
    size: int
    share: float
    traits: tuple[tuple[str, float], ...]  # (column, z-difference), most distinctive first


def describe_segments(
    X_raw: pd.DataFrame, labels: np.ndarray, labels_for_columns: dict[str, str] | None = None
) -> dict[int, Persona]:
    """A persona per segment in labels (one label per row of X_raw), keyed by segment id."""
    labels = np.asarray(labels)
    if len(labels) != len(X_raw):
        raise ValueError(f"{len(labels)} labels for {len(X_raw)} rows of X_raw")
    numeric = X_raw.select_dtypes(include=["number", "bool"]).astype(float)
    if numeric.shape[1] == 0:
        raise ValueError("X_raw has no numeric columns to describe segments by")
    readable = {c: (labels_for_columns or {}).get(c, str(c).replace("_", " ")) for c in numeric}
    overall = numeric.mean()
    spread = numeric.std(ddof=0).replace(0.0, np.nan)
    means = numeric.groupby(labels).mean()
    sizes = pd.Series(labels).value_counts()

    traits = {}
    for segment, row in means.iterrows():
        z = ((row - overall) / spread).fillna(0.0).round(3)
        ranked = sorted(z.items(), key=lambda cz: (-abs(cz[1]), str(cz[0])))
        traits[int(segment)] = tuple((str(c), float(v)) for c, v in ranked)
    names = _unique_names(traits, readable)
    return {
        s: Persona(
            segment=s,
            name=names[s],
            description=_description(
                int(sizes[s]), len(labels), traits[s], means.loc[s], overall, readable
            ),
            size=int(sizes[s]),
            share=float(sizes[s] / len(labels)),
            traits=traits[s],
        )
        for s in sorted(traits)
    }


def _unique_names(traits: dict[int, tuple], readable: dict) -> dict[int, str]:
    names = {s: _name(s, t, readable, 2) for s, t in traits.items()}
    for fix in (lambda s: _name(s, traits[s], readable, 3), lambda s: f"{names[s]} ({s})"):
        counts = Counter(n.casefold() for n in names.values())
        for s in sorted(names):
            if counts[names[s].casefold()] > 1:
                names[s] = fix(s)
    return names


def _kind(column: str) -> tuple[str, str | None, str | None] | None:
    for pattern, kind, higher, lower in VOCABULARY:
        if re.search(pattern, column.lower()):
            return kind, higher, lower
    return None


def _name(segment: int, traits: tuple, readable: dict, how_many: int) -> str:
    if segment == -1:
        return "Outliers"
    notable = [(c, z) for c, z in traits if abs(z) >= NOTABLE]
    used: dict[str, tuple[bool, str | None]] = {}  # kind -> (higher?, word)
    for column, z in notable:
        found = _kind(column)
        if not found or found[0] in used:
            continue
        kind, word = found[0], found[1] if z > 0 else found[2]
        if word or any(k == kind and up in (None, z > 0) for k, up, _ in NOUNS):
            used[kind] = (z > 0, word)
        if len(used) == how_many:
            break
    if not used:
        if not notable:
            return f"Segment {segment}: typical customers"
        parts = [f"{'higher' if z > 0 else 'lower'} {readable[c]}" for c, z in notable[:2]]
        return f"Segment {segment}: {', '.join(parts)}"
    noun = next(
        (word for kind, up, word in NOUNS if kind in used and up in (None, used[kind][0])),
        "customers",
    )
    words = [used[k][1] for k in ADJECTIVE_ORDER if k in used and used[k][1]]
    text = " ".join([*words, noun])
    return text[0].upper() + text[1:]


def _number(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.2g}"


def _description(size, total, traits, means, overall, readable) -> str:
    head = f"{size:,} customers ({size / total:.0%} of all)."
    parts = []
    for column, _ in [t for t in traits if abs(t[1]) >= NOTABLE][:3]:
        key = next(c for c in means.index if str(c) == column)
        mine, everyone = float(means[key]), float(overall[key])
        unit = "EUR " if MONEY.search(column.lower()) else ""
        ratio = mine / everyone if everyone > 0 and mine >= 0 else 1.0
        if ratio >= 1.5 or ratio <= 0.67:
            parts.append(f"{readable[key]} {ratio:.1f}x the average "
                         f"({unit}{_number(mine)} vs {_number(everyone)})")  # fmt: skip
        else:
            parts.append(f"{readable[key]} {unit}{_number(mine)} vs {_number(everyone)}")
    if not parts:
        return f"{head} Close to the average on every feature."
    body = "; ".join(parts)
    return f"{head} {body[0].upper()}{body[1:]}."


# --- analyst overrides ---------------------------------------------------------------------

OVERRIDE_FIELDS = ("name", "description")


class PersonaOverrides(dict):
    """Segment id -> {name, description}; remembers where each came from for error messages."""

    def __init__(self, path: Path, entries: dict[int, dict], lines: dict[int, int]) -> None:
        super().__init__(entries)
        self.path, self.lines = path, lines


def load_overrides(path: Path) -> dict[int, dict]:
    path = Path(path)
    text = path.read_text(encoding="utf-8")

    def fail(node_or_line, problem: str) -> PersonaFileError:
        line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line
        return PersonaFileError(f"{path}, line {line + 1}: {problem}")

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = f"not valid YAML ({getattr(e, 'problem', e)})"
        raise fail(mark.line if mark else 0, problem) from e
    if root is None:
        raise fail(0, "the file is empty; expected a 'segments:' mapping")
    if not isinstance(root, yaml.MappingNode):
        raise fail(root, "expected a mapping with a 'segments' key")
    segments = None
    for key, value in root.value:
        if key.value != "segments":
            raise fail(key, f"unknown key {key.value!r}; the only top-level key is 'segments'")
        segments = value
    if not isinstance(segments, yaml.MappingNode):
        raise fail(segments or root, "'segments' must map segment ids to {name, description}")

    entries: dict[int, dict] = {}
    lines: dict[int, int] = {}
    for key, value in segments.value:
        if key.tag != "tag:yaml.org,2002:int":
            raise fail(key, f"segment id must be an integer, got {key.value!r}")
        segment = int(yaml.safe_load(key.value))
        if segment in entries:
            raise fail(key, f"segment {segment} is listed twice")
        if not isinstance(value, yaml.MappingNode):
            raise fail(value, f"segment {segment}: expected a mapping like {{name: ...}}")
        entry = {}
        for field_key, field_value in value.value:
            if field_key.value not in OVERRIDE_FIELDS:
                raise fail(field_key, f"segment {segment}: unknown key {field_key.value!r}; "
                                      f"allowed: {', '.join(OVERRIDE_FIELDS)}")  # fmt: skip
            if field_value.tag != "tag:yaml.org,2002:str" or not field_value.value.strip():
                raise fail(field_value, f"segment {segment}: {field_key.value} must be "
                                        f"non-empty text, got {field_value.value!r}")  # fmt: skip
            entry[field_key.value] = field_value.value.strip()
        entries[segment], lines[segment] = entry, key.start_mark.line + 1
    return PersonaOverrides(path, entries, lines)


def apply_overrides(personas: dict[int, Persona], overrides: dict[int, dict]) -> dict[int, Persona]:
    """New personas with the analyst's names and descriptions (the input is left alone)."""
    path = getattr(overrides, "path", "overrides")
    lines = getattr(overrides, "lines", {})

    def fail(segment: int, problem: str) -> PersonaFileError:
        where = f", line {lines[segment]}" if segment in lines else ""
        return PersonaFileError(f"{path}{where}: {problem}")

    result = dict(personas)
    for segment in sorted(overrides):
        if segment not in personas:
            known = ", ".join(map(str, sorted(personas)))
            raise fail(segment, f"there is no segment {segment} (segments: {known})")
        unknown = set(overrides[segment]) - set(OVERRIDE_FIELDS)
        if unknown:
            raise fail(segment, f"segment {segment}: unknown key(s) {sorted(unknown)}")
        for key, value in overrides[segment].items():
            if not isinstance(value, str) or not value.strip():
                raise fail(segment, f"segment {segment}: {key} must be non-empty text")
        result[segment] = dataclasses.replace(personas[segment], **overrides[segment])
    owner: dict[str, int] = {}
    for segment in sorted(result, key=lambda s: (s in overrides, s)):
        name = result[segment].name.casefold()
        if name in owner:
            raise fail(segment, f"segment {segment} would be named {result[segment].name!r}, "
                                f"like segment {owner[name]}; names must be unique")  # fmt: skip
        owner[name] = segment
    return result
