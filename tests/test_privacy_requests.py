"""Access and erasure across every store: the profile store, Rasa's SQL tracker store and
SQL event broker, and the trained models; on SQLite and on PostgreSQL."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from personalization.collect.ingest import Ingestor
from personalization.collect.segment import parse_message
from personalization.privacy.conversations import ConversationStore
from personalization.store import audit
from personalization.store import schema as t
from personalization.store.engine import create_engine
from personalization.training.artifacts import load_models
from tests import privacy_world as pw
from tests.trackers import ROOT


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path, trained):
    demo_store, demo_models = trained[0], trained[1]
    built = pw.build(request.param, tmp_path, demo_store, demo_models)
    yield built
    built.close()
    pw.drop(request.param, built.stores)


def fill_everything(world: pw.World) -> tuple[pw.Person, pw.Person]:
    """The person to erase and a neighbour who must keep everything."""
    erased, kept = pw.person(world.store, 0), pw.person(world.store, 1)
    for who in (erased, kept):
        pw.record_chat_consent(world, who)
        pw.chat(world, f"web-{who.customer_id.lower()}-1", who)  # a signed-in web chat
    pw.chat(world, f"web-{erased.customer_id.lower()}-2", erased)  # a second one
    world.requests().export(erased.customer_id, pw.ADMIN)  # an audit entry before erasure
    return erased, kept


def test_after_erasure_no_table_of_any_store_holds_the_id_email_or_name(world):
    erased, kept = fill_everything(world)
    assert pw.scan(world.stores, erased), "the scan finds the person before erasure"
    with world.store.engine.connect() as conn:
        orders_before = conn.execute(select(func.count()).select_from(t.orders)).scalar()
        mine = conn.execute(select(func.count()).where(
            t.orders.c.customer_id == erased.customer_id)).scalar()  # fmt: skip

    report = world.requests().erase(erased.customer_id, pw.ADMIN)

    assert pw.scan(world.stores, erased) == []
    assert report.counts["customers"] == 1 and report.counts["orders_anonymized"] == mine
    assert report.counts["conversations"] == 2
    assert report.counts["added to the recommender's erased list"] == 1
    assert erased.customer_id not in report.summary()
    # the neighbour keeps everything; the accounts keep every order
    assert len(pw.scan(world.stores, kept)) >= 10
    assert world.requests().export(kept.customer_id, pw.ADMIN)["conversations"]
    with world.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.orders)).scalar() == orders_before
        anonymized = conn.execute(select(t.orders).where(t.orders.c.customer_id.is_(None))).all()
    assert len(anonymized) == mine and all(o.shipping_address is None for o in anonymized)
    recommender = load_models(world.models).recommender
    assert recommender.history_of(erased.customer_id) == {}
    assert recommender.history_of(kept.customer_id)
    # the models folder: the erased list holds the keyed hash, not the id; the recommender's
    # file keeps the row, never loaded, until the next training (docs/privacy.md)
    assert (world.models / "erased.txt").read_text() == pw.HASHER(erased.customer_id) + "\n"
    holding = [p.name for p in world.models.iterdir()
               if erased.customer_id.encode() in p.read_bytes()]  # fmt: skip
    assert holding == ["recommender.joblib"]


def test_export_holds_every_kind_of_data_and_the_conversations(world):
    who, _ = fill_everything(world)
    data = world.requests().export(who.customer_id, pw.ADMIN)

    json.dumps(data)  # JSON as it is
    assert data["profile"]["email"] == who.email and data["profile"]["name"] == who.name
    assert data["orders"] and all(order["items"] for order in data["orders"])
    assert {o["customer_id"] for o in data["orders"]} == {who.customer_id}
    assert data["tickets"] and data["events"] and data["preferences"] is not None
    assert data["scores"]["segment"] is not None and 0 <= data["scores"]["churn_risk"] <= 1
    assert data["consent"]["current"][0]["granted"] is True
    assert any(r["channel"] == "chat" for r in data["consent"]["history"])
    senders = {c["sender_id"] for c in data["conversations"]}
    assert senders == {f"web-{who.customer_id.lower()}-{n}" for n in (1, 2)}
    assert "customer_signature" not in json.dumps(data)  # only verification results kept
    texts = [e.get("text") for c in data["conversations"] for e in c["events"]]
    assert any(who.email in (x or "") for x in texts)
    assert data["recommender"]["products_weighted"]
    assert all(e["customer_id"] in (who.customer_id, None) for e in data["events"])


def test_export_of_an_unknown_customer_is_none_and_audited(world):
    assert world.requests().export("C-NOBODY", pw.ADMIN) is None
    with world.store.engine.connect() as conn:
        (entry,) = audit.entries(conn, pw.HASHER("C-NOBODY"))
    assert (entry["action"], entry["outcome"], entry["actor"]) == ("export", "nothing held",
                                                                   pw.ADMIN)


def test_erasure_is_audited_without_personal_data_and_can_be_repeated(world):
    who, _ = fill_everything(world)
    requests = world.requests()
    requests.erase(who.customer_id, pw.ADMIN)
    again = requests.erase(who.customer_id, "test:second")
    assert not again.anything_found
    with world.store.engine.connect() as conn:
        entries = audit.entries(conn, pw.HASHER(who.customer_id))
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("export", "delivered"), ("erasure", "completed"), ("erasure", "completed")]
    assert entries[1]["detail"]["customers"] == 1 and entries[2]["actor"] == "test:second"


def test_events_and_imports_for_an_erased_customer_are_dropped(world):
    who, _ = fill_everything(world)
    world.requests().erase(who.customer_id, pw.ADMIN)
    event = parse_message({"userId": who.customer_id, "event": "Product Viewed",
                           "properties": {"product_id": "P1"}}, "track")  # fmt: skip
    result = Ingestor(world.store, pw.HASHER).ingest([event])
    assert result.stored == 0 and "erased" in result.dropped[0][1]
    assert pw.scan(world.stores, who) == []


def test_a_store_down_midway_fails_the_erasure_in_the_audit_log_and_a_rerun_completes_it(world):
    who, _ = fill_everything(world)
    down = ConversationStore("event broker", create_engine(
        "postgresql://nobody@127.0.0.1:1/none"))  # nothing listens on port 1
    broken = world.requests()
    broken.conversations = [world.conversations[0], down]
    with pytest.raises(DBAPIError):
        broken.erase(who.customer_id, pw.ADMIN)
    with world.store.engine.connect() as conn:
        failed = audit.entries(conn, pw.HASHER(who.customer_id))[-1]
    assert failed["outcome"] == "failed" and failed["detail"]["step"] == "event broker"
    assert pw.scan(world.stores, who), "the broker still holds the conversations"

    world.requests().erase(who.customer_id, pw.ADMIN)
    assert pw.scan(world.stores, who) == []


def test_the_audit_log_refuses_changes(world):
    with world.store.begin() as conn:
        audit.append(conn, pw.ADMIN, "consent", "abc", "granted")
    for statement in ("UPDATE audit_log SET outcome = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with world.store.begin() as conn:
                conn.execute(text(statement))
    with world.store.engine.connect() as conn:
        assert [e["outcome"] for e in audit.entries(conn)] == ["granted"]


def test_the_export_erase_and_audit_commands(tmp_path, trained):
    world = pw.build("sqlite", tmp_path, trained[0], trained[1])
    who, _ = fill_everything(world)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store: {{type: SQL, dialect: sqlite, db: {tmp_path / 'conversations.db'}}}\n"
        f"event_broker: {{type: SQL, dialect: sqlite, db: {tmp_path / 'broker.db'}}}\n")
    env = {"PATH": "/usr/bin:/bin", "PERSONALIZATION_HASH_KEY": "privacy-test-hash-key-0123456789"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "personalization", "--db", world.stores["profiles"], *args,
             *(["--endpoints", str(endpoints), "--models", str(world.models)]
               if args[0] != "audit" else [])],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
            stdin=subprocess.DEVNULL)

    exported = cli("export", who.customer_id)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["profile"]["email"] == who.email and len(data["conversations"]) == 2

    refused = cli("erase", who.customer_id)  # no terminal to confirm on, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert pw.scan(world.stores, who)

    erased = cli("erase", who.customer_id, "--yes", "--actor", "ticket 4711")
    assert erased.returncode == 0, erased.stderr
    assert "Erased customer" in erased.stdout and who.customer_id not in erased.stdout
    assert pw.scan(world.stores, who) == []

    nothing = cli("export", who.customer_id)
    assert nothing.returncode == 1 and "Nothing is held" in nothing.stderr
    log = [json.loads(line) for line in cli("audit", who.customer_id).stdout.splitlines()]
    assert [(e["action"], e["outcome"], e["actor"]) for e in log][-3:] == [
        ("export", "delivered", f"cli:{getpass.getuser()}"),
        ("erasure", "completed", "ticket 4711"), ("export", "nothing held", log[-1]["actor"])]

    missing_key = subprocess.run(
        [sys.executable, "-m", "personalization", "--db", world.stores["profiles"], "export",
         "C1"], cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert missing_key.returncode == 2 and "PERSONALIZATION_HASH_KEY" in missing_key.stderr
    world.close()


def test_a_conversation_erased_from_the_chat_is_swept_once_quiet(world):
    who, _ = fill_everything(world)
    sender = f"web-{who.customer_id.lower()}-1"
    requests = world.requests()
    requests.erase(who.customer_id, "customer via rest", current_sender=sender)
    pw.chat(world, sender, who)  # Rasa saves the rest of the conversation after the action
    assert pw.scan(world.stores, who)

    assert requests.sweep(quiet_seconds=3600) == 0, "still going on: not yet"
    assert pw.scan(world.stores, who)
    assert requests.sweep(quiet_seconds=0) == 1
    assert pw.scan(world.stores, who) == []
    assert requests.sweep(quiet_seconds=0) == 0
