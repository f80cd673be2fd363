"""Import mapping files: which source column feeds which store field, and how to read it.

A new CRM, ticket or order export imports with a mapping file alone. See docs/data.md for
the format and examples/mappings/ for complete files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TYPES = ("text", "int", "float", "bool", "date", "datetime")
KINDS = ("crm", "tickets", "orders")
LEGAL_BASES = ("contract", "consent")
# store fields of each import kind, with their type; * marks a required one
FIELDS: dict[str, dict[str, str]] = {
    "crm": {
        "name": "text", "email": "text", "country": "text", "region": "text",
        "language": "text", "birth_year": "int", "age_band": "text", "account_tier": "text",
        "loyalty_status": "text", "signup_date": "date", "churned": "bool",
    },
    "tickets": {
        "customer_id*": "text", "category": "text", "channel": "text",
        "created_at*": "datetime", "resolved_at": "datetime", "escalated": "bool", "csat": "int",
    },
    "orders": {
        "customer_id*": "text", "status": "text", "total": "float", "currency": "text",
        "placed_at*": "datetime", "product_id": "text", "quantity": "int", "unit_price": "float",
    },
}  # fmt: skip
TRUE_WORDS = {"yes", "y", "true", "t", "1"}
FALSE_WORDS = {"no", "n", "false", "f", "0"}


class MappingError(ValueError):
    """The mapping file is wrong; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Column:
    source: str
    type: str = "text"
    translate: dict[str, Any] = field(default_factory=dict)
    format: str | None = None


@dataclass(frozen=True)
class Mapping:
    kind: str
    id_column: str
    legal_basis: str
    fields: dict[str, Column]
    attributes: dict[str, Column]
    keep_other_columns: bool = False
    consent: Column | None = None
    consent_purpose: str = "personalization"
    label: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8-sig"

    def required_fields(self) -> list[str]:
        return [f.rstrip("*") for f in FIELDS[self.kind] if f.endswith("*")]

    def source_columns(self) -> set[str]:
        columns = {self.id_column} | {c.source for c in self.fields.values()}
        columns |= {c.source for c in self.attributes.values()}
        return columns | ({self.consent.source} if self.consent else set())


def load_mapping(path: Path, kind: str | None = None) -> Mapping:
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"{path}: cannot be read as YAML ({error})") from None
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: must be a YAML mapping of keys to values")
    return parse_mapping(raw, str(path), kind)


def parse_mapping(raw: dict, where: str, kind: str | None = None) -> Mapping:
    def fail(key: str, problem: str) -> MappingError:
        return MappingError(f"{where}: {key}: {problem}")

    known = {"kind", "id", "legal_basis", "fields", "attributes", "keep_other_columns",
             "consent", "label", "delimiter", "encoding"}  # fmt: skip
    for key in raw:
        if key not in known:
            raise fail(key, f"unknown key; the keys are {', '.join(sorted(known))}")
    found_kind = raw.get("kind", kind)
    if found_kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}, not {found_kind!r}")
    if kind and found_kind != kind:
        raise fail("kind", f"this mapping is for {found_kind!r} imports, not {kind!r}")
    if not isinstance(raw.get("id"), str) or not raw["id"].strip():
        raise fail("id", "name the source column that holds the record id")
    basis = raw.get("legal_basis", "contract")
    if basis not in LEGAL_BASES:
        raise fail("legal_basis", f"must be one of {', '.join(LEGAL_BASES)}, not {basis!r}")

    allowed = {f.rstrip("*"): t for f, t in FIELDS[found_kind].items()}
    fields = {}
    for name, spec in (raw.get("fields") or {}).items():
        if name not in allowed:
            raise fail(f"fields.{name}", f"is not a {found_kind} field; the fields are "
                       f"{', '.join(allowed)}")  # fmt: skip
        fields[name] = _column(spec, allowed[name], f"fields.{name}", fail)
    missing = [f.rstrip("*") for f in FIELDS[found_kind] if f.endswith("*")
               and f.rstrip("*") not in fields]  # fmt: skip
    if missing:
        raise fail("fields", f"needs {', '.join(missing)} for {found_kind} imports")
    attributes = {}
    if found_kind == "crm":
        for name, spec in (raw.get("attributes") or {}).items():
            attributes[str(name)] = _column(spec, "text", f"attributes.{name}", fail)
    elif raw.get("attributes") or raw.get("keep_other_columns"):
        raise fail("attributes", "only crm imports keep extra attributes")
    consent = None
    if raw.get("consent") is not None:
        spec = raw["consent"]
        if not isinstance(spec, dict) or "column" not in spec:
            raise fail("consent", "give {column: ..., purpose: ..., translate: {...}}")
        consent = _column({k: v for k, v in spec.items() if k != "purpose"}, "bool", "consent",
                          fail)  # fmt: skip
    label = raw.get("label")
    if label is not None and label not in fields:
        raise fail("label", f"{label!r} is not one of the mapped fields")
    return Mapping(
        kind=found_kind, id_column=raw["id"].strip(), legal_basis=basis, fields=fields,
        attributes=attributes, keep_other_columns=bool(raw.get("keep_other_columns", False)),
        consent=consent,
        consent_purpose=str((raw.get("consent") or {}).get("purpose", "personalization")),
        label=label, delimiter=str(raw.get("delimiter", ",")),
        encoding=str(raw.get("encoding", "utf-8-sig")),
    )  # fmt: skip


def _column(spec: Any, default_type: str, key: str, fail) -> Column:
    if isinstance(spec, str):
        return Column(spec, default_type)
    if not isinstance(spec, dict) or not isinstance(spec.get("column"), str):
        raise fail(key, "give the source column name, or {column: ..., type: ..., "
                   "translate: {...}, format: ...}")  # fmt: skip
    unknown = set(spec) - {"column", "type", "translate", "format"}
    if unknown:
        raise fail(key, f"unknown keys {sorted(unknown)}; use column, type, translate, format")
    kind = spec.get("type", default_type)
    if kind not in TYPES:
        raise fail(f"{key}.type", f"must be one of {', '.join(TYPES)}, not {kind!r}")
    translate = spec.get("translate") or {}
    if not isinstance(translate, dict):
        raise fail(f"{key}.translate", "must map source values to stored values")
    return Column(spec["column"], kind, {str(k): v for k, v in translate.items()},
                  spec.get("format"))  # fmt: skip
