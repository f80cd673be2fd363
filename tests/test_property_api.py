"""Fuzzing the event API and its admin endpoints over real HTTP, on SQLite and PostgreSQL:
thousands of generated requests (well-formed calls with payloads generated from the
published OpenAPI description, malformed ones of every kind: broken JSON, wrong types, deep
nesting, NUL characters, lone surrogates, huge numbers, wrong or missing keys, browser keys)
against a running `serve-events`.

Every answer: no 5xx; a status the description documents for that operation, in the shape
it documents; a 4xx names the field. A refused request changes no table; an accepted one
writes exactly what it reports; a well-formed call is never refused. The figures (requests
sent, 5xx seen, time) are printed and written to results/fuzz_api.json. FUZZ_EXAMPLES sets
the examples per database (default 2000 event API calls, a quarter as many admin calls)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from jsonschema import Draft202012Validator, RefResolver
from sqlalchemy import func, select

from personalization.store import Store, migrate
from personalization.store import schema as t
from tests import shop
from tests.conftest import free_port
from tests.databases import create_postgres_database, drop_postgres_database
from tests.fuzz_requests import (
    BROWSER_KEY,
    SERVER_KEY,
    SPEC,
    TOKEN,
    Call,
    admin_call,
    event_api_call,
)
from tests.trackers import ROOT

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
RESULTS = ROOT / "results" / "fuzz_api.json"
TABLES = (t.customers, t.events, t.consent_records, t.consent_state, t.preferences, t.orders,
          t.order_items, t.products, t.tickets, t.audit_log, t.suppression)  # fmt: skip
COUNTS = select(*[select(func.count()).select_from(table).scalar_subquery().label(table.name)
                  for table in TABLES])  # fmt: skip
# no shrinking: every step of it is more requests, minutes of them; a failure shows its call
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
RESOLVER = RefResolver.from_schema(SPEC)
ADMIN_PATH = re.compile(r"/admin/customers/[^/]*\Z")
FIGURES: dict[str, dict] = {}


@dataclass
class Server:
    base: str
    store: Store
    session: requests.Session
    figures: dict
    log: Path

    def counts(self) -> dict[str, int]:
        with self.store.engine.connect() as conn:
            return dict(conn.execute(COUNTS).one()._mapping)

    def send(self, call: Call) -> tuple[requests.Response, dict, dict]:
        started = time.perf_counter()
        before = self.counts()
        response = self.session.request(call.method, self.base + call.path, data=call.body,
                                        headers=call.headers, timeout=60,
                                        allow_redirects=False)  # fmt: skip
        after = self.counts()
        self.figures["sending_s"] = self.figures.get("sending_s", 0) + time.perf_counter() - started
        status = str(response.status_code)
        self.figures["requests"] += 1
        self.figures["by_status"][status] = self.figures["by_status"].get(status, 0) + 1
        self.figures["5xx"] += response.status_code >= 500
        return response, before, after


def _start(url: str, work: Path) -> tuple[subprocess.Popen, str, Path]:
    (work / "endpoints.yml").write_text(
        f"tracker_store: {{type: SQL, dialect: sqlite, db: {work / 'tracker.db'}}}\n")
    port, log = free_port(), work / "server.log"
    env = {**os.environ, "EVENTS_WRITE_KEYS": SERVER_KEY, "EVENTS_BROWSER_KEYS": BROWSER_KEY,
           "EVENTS_RATE_LIMIT": "0", "PERSONALIZATION_HASH_KEY": "fuzz-hash-key-0123456789",
           "PERSONALIZATION_ADMIN_TOKEN": TOKEN, "PERSONALIZATION_MODELS": str(work / "none"),
           "PERSONALIZATION_ENDPOINTS": str(work / "endpoints.yml")}  # fmt: skip
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "personalization", "--db", url, "serve-events", "--port",
             str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/health", timeout=2).raise_for_status()
            return server, base, log
        except requests.ConnectionError:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    url = (f"sqlite:///{work / 'profiles.db'}" if request.param == "sqlite"
           else create_postgres_database())  # fmt: skip
    migrate.upgrade(url)
    store = Store.from_url(url)
    shop.fill(store)
    process, base, log = _start(url, work)
    figures = FIGURES.setdefault(request.param, {"requests": 0, "5xx": 0, "by_status": {}})
    started = time.monotonic()
    with requests.Session() as session:
        yield Server(base, store, session, figures, log)
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["sending_s"] = round(figures.get("sending_s", 0), 1)  # the rest: generating
    process.terminate()
    process.wait(timeout=30)
    store.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)
    _record(request.param, figures)


def _record(database: str, figures: dict) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    recorded = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    recorded[database] = figures
    RESULTS.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    print(f"\nfuzz {database}: {figures['requests']} requests generated, {figures['5xx']} "
          f"5xx seen, {figures['seconds']} s; statuses {figures['by_status']}")


def operation(call: Call) -> dict | None:
    """The description's operation for this call, None for a path or method it has not."""
    path = "/admin/customers/{customer_id}" if ADMIN_PATH.match(call.path) else call.path
    return SPEC["paths"].get(path, {}).get(call.method.lower())


def conforms(answer: object, schema: dict) -> list[str]:
    validator = Draft202012Validator(schema, resolver=RESOLVER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(answer)]


def check(server: Server, call: Call, response, before: dict, after: dict) -> None:
    status, where = response.status_code, f"{call.method} {call.path} {call.body[:300]!r}"
    log = server.log.read_text()[-3000:]
    assert status < 500, f"{where} -> {status} {response.text[:300]}\n{log}"
    answer = response.json()
    documented = operation(call)
    if documented is None:
        assert status in (404, 405), where
        schema: dict = {"$ref": "#/components/schemas/Error"}
    else:
        assert str(status) in documented["responses"], f"{where} -> undocumented {status}"
        content = documented["responses"][str(status)]["content"]["application/json"]
        schema = content.get("schema", {})
    assert not conforms(answer, schema), (where, answer, conforms(answer, schema))
    if status >= 400:
        assert len(answer["error"]["problem"]) > 5 and answer["error"]["field"], answer
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    if call.path.startswith("/v1/") and status == 200 and call.method == "POST":
        _check_accepted(call, answer, changed)
    elif ADMIN_PATH.match(call.path) and status in (200, 404) and call.method in ("GET", "DELETE"):
        if call.method == "GET" or status == 404:  # an export (or a look that found nothing)
            assert changed == {"audit_log": 1}, (where, changed)
        else:
            assert changed.get("audit_log", 0) >= 1 and changed.get("customers", 0) <= 0
    else:
        assert changed == {}, f"{where} -> {status} but wrote {changed}"
    if call.well_formed:
        assert status == 200 and answer["rejected"] == [], (where, answer)


def _check_accepted(call: Call, answer: dict, changed: dict) -> None:
    accounted = (answer["stored"] + answer["duplicates"] + len(answer["dropped"])
                 + len(answer["rejected"]))  # fmt: skip
    assert answer["success"] is True and accounted == answer["received"], answer
    assert changed.get("events", 0) == answer["stored"], (answer, changed)
    outcomes = [c["outcome"] for c in answer["consent"]]
    kept = sum(o in ("recorded", "unchanged") for o in outcomes)
    assert changed.get("consent_records", 0) == kept, (answer, changed)
    assert changed.get("audit_log", 0) == outcomes.count("recorded"), (answer, changed)
    assert "suppression" not in changed
    if answer["stored"] == 0 and kept == 0:
        assert changed == {}, (answer, changed)


@FUZZ
@given(call=event_api_call())
def test_the_event_api_answers_every_request_as_documented(server, call):
    check(server, call, *server.send(call))


@settings(FUZZ, max_examples=max(1, EXAMPLES // 4))
@given(call=admin_call())
def test_the_admin_endpoints_answer_every_request_as_documented(server, call):
    check(server, call, *server.send(call))
