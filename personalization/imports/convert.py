"""Turn a raw CSV (all strings) into typed records by a mapping, with a reason for each reject.

Blank or whitespace-only cells are missing values, never errors. A non-blank cell that
cannot be read as its type rejects its row, naming the column and the value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from personalization.cleaning import to_numeric_frame
from personalization.imports.mapping import FALSE_WORDS, TRUE_WORDS, Column, Mapping, MappingError

INFER_SHARE = 0.75


@dataclass
class Converted:
    frame: pd.DataFrame  # one column per target, typed; index = line number in the file
    rejects: dict[int, str]  # line -> reason


def convert(raw: pd.DataFrame, mapping: Mapping, where: str) -> Converted:
    missing = sorted(mapping.source_columns() - set(raw.columns))
    if missing:
        raise MappingError(
            f"{where}: the file has no column {', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(map(repr, raw.columns))}"
        )
    targets: dict[str, Column] = {"id": Column(mapping.id_column)}
    targets |= mapping.fields
    targets |= {f"attributes.{k}": c for k, c in mapping.attributes.items()}
    if mapping.consent:
        targets["consent"] = mapping.consent
    if mapping.keep_other_columns:
        used = mapping.source_columns()
        for name in raw.columns:
            if name not in used:
                targets[f"attributes.{name}"] = Column(name, infer_type(raw[name]))

    out = pd.DataFrame(index=raw.index)
    rejects: dict[int, str] = {}
    for target, column in targets.items():
        values, problems = convert_column(raw[column.source], column)
        out[target] = values
        for line, problem in problems.items():
            rejects.setdefault(line, problem)
    no_id = out["id"].isna()
    for line in out.index[no_id]:
        rejects.setdefault(line, f"column {mapping.id_column!r}: the id is empty")
    for name in mapping.required_fields():
        for line in out.index[out[name].isna()]:
            rejects.setdefault(line, f"column {mapping.fields[name].source!r}: {name} is empty")
    return Converted(out.drop(index=list(rejects)), rejects)


def convert_column(raw: pd.Series, column: Column) -> tuple[pd.Series, dict[int, str]]:
    text = raw.astype(str).str.strip()
    blank = text.eq("") | raw.isna()
    if column.translate:
        exact = text.map(lambda v: column.translate.get(v, _MISS))
        folded = {k.casefold(): v for k, v in column.translate.items()}
        loose = text.map(lambda v: folded.get(v.casefold(), _MISS))
        translated = exact.where(exact.ne(_MISS), loose)
        hit = translated.ne(_MISS) & ~blank
    else:
        translated, hit = text, pd.Series(False, index=raw.index)
    source = translated.where(hit, text).astype(object)  # translated value or the raw text
    values, bad = _typed(source, column, blank | (hit & source.isna()))
    values = values.where(~blank, None)
    problems = {line: f"column {column.source!r}: {raw[line]!r} is not a valid {column.type}"
                for line in raw.index[bad & ~blank]}  # fmt: skip
    return values.astype(object).where(values.notna(), None), problems


def _typed(source: pd.Series, column: Column, skip: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Values of the column's type, and where the source could not be read."""
    kind = column.type
    if kind == "text":
        return source.map(lambda v: None if v is None else str(v)), pd.Series(False, source.index)
    if kind in ("int", "float"):
        numbers, _ = to_numeric_frame(source.map(_text).to_frame("v"), ["v"])
        number = numbers["v"]
        bad = number.isna() & ~skip
        if kind == "int":
            fractional = number.notna() & (number != np.floor(number.fillna(0)))
            bad |= fractional
            return number.where(~bad).map(lambda v: None if pd.isna(v) else int(v)), bad
        return number.where(~bad), bad
    if kind == "bool":
        def read(value):
            if isinstance(value, bool) or value is None:
                return value
            word = str(value).strip().casefold()
            return True if word in TRUE_WORDS else False if word in FALSE_WORDS else _MISS
        flags = source.map(read)
        bad = flags.eq(_MISS) & ~skip
        return flags.where(~bad, None), bad
    # without a format, each value is read on its own ("mixed"): exports mix styles
    parsed = pd.to_datetime(source.map(_text), format=column.format or "mixed", errors="coerce")
    bad = parsed.isna() & ~skip
    if kind == "date":
        return parsed.map(lambda v: None if pd.isna(v) else v.date()), bad
    return parsed.map(lambda v: None if pd.isna(v) else v.to_pydatetime().replace(tzinfo=None)), bad


def infer_type(raw: pd.Series, share: float = INFER_SHARE) -> str:
    """The type of an unmapped column: int, float, bool (yes/no words) or text.

    A column is numeric when at least `share` of its non-blank values are numbers; the few
    others are then typos that reject their rows rather than turning the column to text.
    A column is yes/no only when every value is a yes/no word: exports often add a third
    answer ("No internet service"), which makes the column a category, not a typo.
    """
    values = raw.astype(str).str.strip()
    values = values[values.ne("")]
    if values.empty:
        return "text"
    numbers, _ = to_numeric_frame(values.to_frame("v"), ["v"])
    parsed = numbers["v"].dropna()
    if len(parsed) >= share * len(values):
        return "int" if (parsed == np.floor(parsed)).all() else "float"
    words = values.str.casefold().isin((TRUE_WORDS | FALSE_WORDS) - {"0", "1"})
    if words.all():
        return "bool"
    return "text"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISS = _Missing()


def _text(value) -> str | None:
    return None if value is None else str(value)
