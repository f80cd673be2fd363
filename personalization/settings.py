"""Settings from the environment, read once at start-up and passed on.

- `PERSONALIZATION_DB_URL`: the profile store's SQLAlchemy URL
  (default `sqlite:///var/profiles.db`).
- `EVENTS_WRITE_KEYS`: comma-separated write keys the event API accepts (no default: the
  API refuses to start without one).
- `PERSONALIZATION_HASH_KEY`: the secret that keys the hashes of erased ids (no default).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DB_URL = "sqlite:///var/profiles.db"


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which and what to do."""


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    write_keys: frozenset[str] = field(default_factory=frozenset)
    hash_key: bytes | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        raw_keys = env.get("EVENTS_WRITE_KEYS", "").split(",")
        keys = frozenset(k.strip() for k in raw_keys if k.strip())
        hash_key = env.get("PERSONALIZATION_HASH_KEY")
        return cls(
            db_url=env.get("PERSONALIZATION_DB_URL", DEFAULT_DB_URL),
            write_keys=keys,
            hash_key=hash_key.encode() if hash_key else None,
        )

    def require_hash_key(self) -> bytes:
        if not self.hash_key:
            raise SettingsError(
                "PERSONALIZATION_HASH_KEY is not set: it keys the hashes of erased customer "
                "ids. Set it to a long random secret (the same for every process)."
            )
        return self.hash_key

    def require_write_keys(self) -> frozenset[str]:
        if not self.write_keys:
            raise SettingsError(
                "EVENTS_WRITE_KEYS is not set: the event API needs at least one write key "
                "(comma-separated) to authenticate senders."
            )
        return self.write_keys
