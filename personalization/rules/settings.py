"""The `settings:` part of the rules file: thresholds and support hours, with defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from personalization.rules.fields import WEEKDAYS

HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
DEFAULT_HOURS = {"mon": "08:00-20:00", "tue": "08:00-20:00", "wed": "08:00-20:00",
                 "thu": "08:00-20:00", "fri": "08:00-20:00", "sat": "09:00-17:00"}  # fmt: skip
DAY_GROUPS = {"mon-fri": WEEKDAYS[:5], "sat-sun": WEEKDAYS[5:], "every day": WEEKDAYS}


@dataclass(frozen=True)
class SupportHours:
    timezone: str = "Europe/Brussels"
    # weekday -> (opens, closes); a day that is not listed is closed
    days: dict[str, tuple[time, time]] = field(default_factory=lambda: {
        day: _span(text) for day, text in DEFAULT_HOURS.items()})  # fmt: skip


@dataclass(frozen=True)
class RuleSettings:
    intent_confidence_threshold: float = 0.8
    churn_medium: float = 0.4
    churn_high: float = 0.7
    new_customer_days: int = 30
    absence_days: int = 30
    repeat_within_days: int = 7
    support_hours: SupportHours = field(default_factory=SupportHours)
    # intent -> ticket category, for "the same problem again" and the tickets of hand-offs
    topics: dict[str, str] = field(default_factory=dict)
    # the privacy notice customers answer the consent question for; a new version asks again
    privacy_notice_version: str = "1"


NUMBERS = {
    "intent_confidence_threshold": (0.0, 1.0, float),
    "new_customer_days": (0, 3650, int),
    "absence_days": (1, 3650, int),
    "repeat_within_days": (1, 365, int),
}


def parse_settings(raw: Any) -> tuple[RuleSettings, list[tuple[tuple, str]]]:
    """Settings and the problems found, each as (path inside settings, problem)."""
    problems: list[tuple[tuple, str]] = []
    if not isinstance(raw, dict):
        return RuleSettings(), [((), "settings must be a mapping")]
    values: dict[str, Any] = {}
    known = {*NUMBERS, "churn_bands", "support_hours", "topics", "privacy_notice_version"}
    for key in raw:
        if key not in known:
            problems.append(((key,), f"unknown setting {key!r}; settings: "
                                     f"{', '.join(sorted(known))}"))  # fmt: skip
    for key, (low, high, kind) in NUMBERS.items():
        if key not in raw:
            continue
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not low <= value <= high or (kind is int and value != int(value)):
            what = "a whole number" if kind is int else "a number"
            problems.append(((key,), f"{key} must be {what} from {low} to {high}, "
                                     f"got {value!r}"))  # fmt: skip
        else:
            values[key] = kind(value)
    if "churn_bands" in raw:
        values.update(_churn_bands(raw["churn_bands"], problems))
    if "support_hours" in raw:
        values["support_hours"] = _support_hours(raw["support_hours"], problems)
    if "topics" in raw:
        topics = raw["topics"]
        if not isinstance(topics, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in topics.items()):
            problems.append((("topics",), "topics maps intents to ticket categories, "
                                          "e.g. {payment_issue: payment}"))  # fmt: skip
        else:
            values["topics"] = dict(topics)
    if "privacy_notice_version" in raw:
        version = raw["privacy_notice_version"]
        if not isinstance(version, str | int) or isinstance(version, bool) \
                or not 0 < len(str(version).strip()) <= 32:
            problems.append((("privacy_notice_version",), "privacy_notice_version names the "
                             "current privacy notice, e.g. \"2026-01\" (1 to 32 characters)"))
        else:
            values["privacy_notice_version"] = str(version).strip()
    return RuleSettings(**values), problems


def _churn_bands(raw: Any, problems: list) -> dict[str, float]:
    path = ("churn_bands",)
    if not isinstance(raw, dict) or set(raw) != {"medium", "high"}:
        problems.append((path, "churn_bands needs exactly medium and high, e.g. "
                               "{medium: 0.4, high: 0.7}"))  # fmt: skip
        return {}
    bands = {}
    for name in ("medium", "high"):
        value = raw[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            problems.append(((*path, name), f"churn_bands.{name} must be between 0 and 1, "
                                            f"got {value!r}"))  # fmt: skip
            return {}
        bands[name] = float(value)
    if bands["medium"] >= bands["high"]:
        problems.append((path, "churn_bands: medium must be below high"))
        return {}
    return {"churn_medium": bands["medium"], "churn_high": bands["high"]}


def _support_hours(raw: Any, problems: list) -> SupportHours:
    path = ("support_hours",)
    if not isinstance(raw, dict):
        problems.append((path, "support_hours must be a mapping with timezone and days"))
        return SupportHours()
    zone = raw.get("timezone", SupportHours.timezone)
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(((*path, "timezone"), f"unknown time zone {zone!r}; use an IANA "
                                              "name like Europe/Brussels"))  # fmt: skip
        zone = SupportHours.timezone
    for key in raw:
        if key not in ("timezone", "days"):
            problems.append(((*path, key), f"unknown key {key!r}; use timezone and days"))
    days_raw = raw.get("days", DEFAULT_HOURS)
    if not isinstance(days_raw, dict):
        problems.append(((*path, "days"), "days maps days to hours, e.g. {mon-fri: 08:00-20:00}"))
        return SupportHours(str(zone))
    days: dict[str, tuple[time, time]] = {}
    for key, text in days_raw.items():
        where = (*path, "days", key)
        names = DAY_GROUPS.get(str(key), (key,) if key in WEEKDAYS else None)
        if names is None:
            problems.append((where, f"unknown day {key!r}; use mon..sun, mon-fri, sat-sun or "
                                    "'every day'"))  # fmt: skip
            continue
        span = _span(text)
        if span is None:
            problems.append((where, f"hours must look like 08:00-20:00, got {text!r}"))
            continue
        days.update(dict.fromkeys(names, span))
    return SupportHours(str(zone), days)


def _span(text: Any) -> tuple[time, time] | None:
    match = HOURS.match(str(text).strip()) if isinstance(text, str) else None
    if not match:
        return None
    h1, m1, h2, m2 = map(int, match.groups())
    if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
        return None
    return time(h1, m1), time(23, 59, 59) if h2 == 24 else time(h2, m2)
