"""Settings from the environment, read once at start-up and passed on.

- `PERSONALIZATION_DB_URL`: the profile store's SQLAlchemy URL
  (default `sqlite:///var/profiles.db`).
- `EVENTS_WRITE_KEYS`: comma-separated server write keys of the event API: every call (no
  default: the API refuses to start without one).
- `EVENTS_BROWSER_KEYS`: comma-separated browser write keys: `track` and `page` calls of
  behaviour only, for keys shipped in web pages (default: none).
- `EVENTS_RATE_LIMIT`: requests a second each write key (and the admin token) may send to
  one event API process (default 500; 0: no limit); `EVENTS_RATE_BURST`: how many at once
  (default: twice the rate).
- `PERSONALIZATION_HASH_KEY`: the secret that keys the hashes of erased ids (no default).
- `PERSONALIZATION_IDENTITY_SECRET`: the secret the website signs customer ids with
  (HMAC-SHA256); without it every chat is an anonymous visitor.
- `PERSONALIZATION_SIGNATURE_LIFETIME`: seconds a website's signature of a customer's chat
  session is valid (default 3600); the assistant refuses one valid for longer.
- `PERSONALIZATION_ADMIN_TOKEN`: the bearer token of the admin endpoints (data export and
  erasure); without it they answer 401 to everyone.
- `PERSONALIZATION_ENDPOINTS`: Rasa's endpoints file, where the tracker store and SQL event
  broker keep conversations (default `endpoints.yml`), for exports and erasures.
- `PERSONALIZATION_RULES`: the personalization rules file (default `personalization.yml`).
- `PERSONALIZATION_MODELS`: the trained customer models (default `models/personalization`).
- `PERSONALIZATION_EXPLAIN`: `1` puts each decision's explanation in the conversation (the
  `explanation` slot, for the web page's "why" panel); off by default: demos and designers.
- `PERSONALIZATION_ENABLED`: `0` switches personalization off: every customer is answered as
  an anonymous visitor would be (no profile read, default tone and route, popular products),
  while orders, invoices, privacy requests and event collection work as before. On by
  default. For incidents, and the baseline of `bench/load.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DB_URL = "sqlite:///var/profiles.db"
DEFAULT_RULES = "personalization.yml"
DEFAULT_MODELS = "models/personalization"
DEFAULT_ENDPOINTS = "endpoints.yml"
DEFAULT_RATE_LIMIT = 500  # requests a second per event API key (bench.ingest sends ~200)
DEFAULT_SIGNATURE_LIFETIME = 3600  # seconds


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which and what to do."""


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    write_keys: frozenset[str] = field(default_factory=frozenset)
    browser_keys: frozenset[str] = field(default_factory=frozenset)
    rate_limit: str = ""  # read by event_rate_limit, so a bad value stops only the event API
    rate_burst: str = ""
    hash_key: bytes | None = None
    identity_secret: bytes | None = None
    signature_lifetime: int = DEFAULT_SIGNATURE_LIFETIME
    admin_token: str | None = None
    endpoints_path: str = DEFAULT_ENDPOINTS
    rules_path: str = DEFAULT_RULES
    models_dir: str = DEFAULT_MODELS
    explain: bool = False
    enabled: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        keys = _key_list(env.get("EVENTS_WRITE_KEYS", ""))
        hash_key = env.get("PERSONALIZATION_HASH_KEY")
        secret = env.get("PERSONALIZATION_IDENTITY_SECRET")
        return cls(
            db_url=env.get("PERSONALIZATION_DB_URL", DEFAULT_DB_URL),
            write_keys=keys,
            browser_keys=_key_list(env.get("EVENTS_BROWSER_KEYS", "")),
            rate_limit=env.get("EVENTS_RATE_LIMIT", "").strip(),
            rate_burst=env.get("EVENTS_RATE_BURST", "").strip(),
            hash_key=hash_key.encode() if hash_key else None,
            identity_secret=secret.encode() if secret else None,
            signature_lifetime=_seconds(env, "PERSONALIZATION_SIGNATURE_LIFETIME",
                                        DEFAULT_SIGNATURE_LIFETIME),
            admin_token=env.get("PERSONALIZATION_ADMIN_TOKEN") or None,
            endpoints_path=env.get("PERSONALIZATION_ENDPOINTS") or DEFAULT_ENDPOINTS,
            rules_path=env.get("PERSONALIZATION_RULES") or DEFAULT_RULES,
            models_dir=env.get("PERSONALIZATION_MODELS") or DEFAULT_MODELS,
            explain=env.get("PERSONALIZATION_EXPLAIN", "").strip().lower() in {"1", "true", "yes"},
            enabled=env.get("PERSONALIZATION_ENABLED", "").strip().lower()
            not in {"0", "false", "no", "off"},
        )

    def require_hash_key(self) -> bytes:
        if not self.hash_key:
            raise SettingsError(
                "PERSONALIZATION_HASH_KEY is not set: it keys the hashes of erased customer "
                "ids. Set it to a long random secret (the same for every process)."
            )
        return self.hash_key

    def require_identity_secret(self) -> bytes:
        if not self.identity_secret or len(self.identity_secret) < 16:
            raise SettingsError(
                "PERSONALIZATION_IDENTITY_SECRET is not set (or shorter than 16 characters): "
                "it is the secret your website signs customer ids with. Set the same long "
                "random value on the website backend and the action server."
            )
        return self.identity_secret

    def checked_admin_token(self) -> str | None:
        if self.admin_token is not None and len(self.admin_token.strip()) < 16:
            raise SettingsError(
                "PERSONALIZATION_ADMIN_TOKEN is shorter than 16 characters: use a long random "
                "value (or unset it to switch the admin endpoints off)."
            )
        return self.admin_token.strip() if self.admin_token else None

    def require_write_keys(self) -> frozenset[str]:
        if not self.write_keys:
            raise SettingsError(
                "EVENTS_WRITE_KEYS is not set: the event API needs at least one write key "
                "(comma-separated) to authenticate senders."
            )
        if both := self.write_keys & self.browser_keys:
            raise SettingsError(
                f"{len(both)} key(s) are in both EVENTS_WRITE_KEYS and EVENTS_BROWSER_KEYS: a "
                "key is either a server key (every call) or a browser key (behaviour only)."
            )
        if any(":" in k for k in self.write_keys | self.browser_keys):
            raise SettingsError(
                "A key in EVENTS_WRITE_KEYS or EVENTS_BROWSER_KEYS has a ':': senders send the "
                "key as the HTTP Basic user name, which cannot have one. Choose another key."
            )
        return self.write_keys

    def event_rate_limit(self) -> tuple[float, int]:
        """(requests a second, burst) per write key; a rate of 0 switches the limit off."""
        rate = _number("EVENTS_RATE_LIMIT", self.rate_limit or str(DEFAULT_RATE_LIMIT))
        burst = _number("EVENTS_RATE_BURST", self.rate_burst or str(max(1, round(2 * rate))))
        if burst < 1 or burst != int(burst):
            raise SettingsError(f"EVENTS_RATE_BURST must be a whole number of requests from 1 "
                                f"on, not {self.rate_burst!r}.")  # fmt: skip
        return rate, int(burst)


def _key_list(raw: str) -> frozenset[str]:
    return frozenset(k.strip() for k in raw.split(",") if k.strip())


def _number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1_000_000:
        raise SettingsError(f"{name} must be a number from 0 to 1000000, not {raw!r}.")
    return value


def _seconds(env, name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= 7 * 24 * 3600:
        raise SettingsError(f"{name} must be a whole number of seconds from 1 to 604800 (a "
                            f"week), not {raw!r}.")
    return int(raw)
