"""Write keys of two kinds, as customer data platforms have them.

- A server key (EVENTS_WRITE_KEYS) is kept on the shop's servers: every call is allowed.
- A browser key (EVENTS_BROWSER_KEYS) ships in web pages, so anyone can read it: it may only
  send behaviour events (`track`, `page`) of the id they carry, nothing that changes a
  record. Orders, tickets, identify traits and consent decisions need a server key.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Any

from sanic.request import Request

from personalization.collect.jsonvalues import Invalid
from personalization.collect.payloads import EFFECT_EVENTS

SERVER, BROWSER = "server", "browser"
BROWSER_CALLS = ("track", "page")
_SERVER_ONLY = "needs a server write key (EVENTS_WRITE_KEYS); this is a browser key, which "


@dataclass(frozen=True)
class KeyRing:
    server: frozenset[str]
    browser: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.server and not self.browser:
            raise ValueError("The event API needs at least one write key.")
        if both := self.server & self.browser:
            raise ValueError(f"{len(both)} key(s) are both a server and a browser key")

    def kind(self, key: Any) -> str | None:
        """SERVER, BROWSER, or None for anything that is not one of the keys."""
        if not isinstance(key, str) or not key:
            return None
        given = key.encode("utf-8", errors="replace")  # compare_digest: bytes or ASCII only
        found = None
        for kind, keys in ((SERVER, self.server), (BROWSER, self.browser)):
            for candidate in keys:
                if hmac.compare_digest(given, candidate.encode()):
                    found = kind  # no early exit: the time taken does not tell which matched
        return found


def key_from_header(request: Request) -> str | None:
    """The HTTP Basic user name; None without Basic auth, "" for a malformed header."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.split(":", 1)[0]


def check_browser_call(message: Any, call_type: str | None, path: str = "") -> None:
    """Refuse (403) what a browser key may not send; say where and what to do instead."""
    if not isinstance(message, dict):
        return  # not a call at all: validation says so
    kind = call_type or message.get("type")
    if kind not in BROWSER_CALLS:
        raise Invalid(f"{path}type", f"a {kind!r:.20} call {_SERVER_ONLY}may only send track "
                      "and page calls", 403)  # fmt: skip
    if kind == "track" and message.get("event") in EFFECT_EVENTS:
        raise Invalid(f"{path}event", f"{message['event']!r} {_SERVER_ONLY}may only send "
                      "behaviour events", 403)  # fmt: skip
    if message.get("traits") is not None:
        raise Invalid(f"{path}traits", f"traits {_SERVER_ONLY}may not change a profile", 403)
    context = message.get("context")
    if isinstance(context, dict):
        for key, what in (("consent", "a consent decision"), ("traits", "traits")):
            if context.get(key) is not None:
                raise Invalid(f"{path}context.{key}", f"{what} {_SERVER_ONLY}may not record "
                              "it: send it from your server", 403)  # fmt: skip
