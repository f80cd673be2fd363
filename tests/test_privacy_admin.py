"""The admin endpoints for export and erasure, over HTTP on the event API, with real stores."""

from __future__ import annotations

import uuid

import pytest

from personalization.collect.app import create_app
from personalization.collect.ingest import Ingestor
from personalization.privacy.admin import add_admin_routes
from personalization.privacy.conversations import ConversationStore
from personalization.store import audit
from personalization.store.engine import create_engine
from tests import privacy_world as pw

TOKEN = "admin-token-for-tests-0123456789"


@pytest.fixture
def world(tmp_path, trained):
    built = pw.build("sqlite", tmp_path, trained[0], trained[1])
    yield built
    built.close()


def client(world: pw.World, token: str | None = TOKEN, conversations=None):
    app = create_app(Ingestor(world.store, pw.HASHER), frozenset({"k"}),
                     name=f"t{uuid.uuid4().hex}")  # fmt: skip
    requests = world.requests()
    if conversations is not None:
        requests.conversations = conversations
    add_admin_routes(app, requests, token)
    return app.test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audited(world: pw.World, customer_id: str) -> list[tuple[str, str]]:
    with world.store.engine.connect() as conn:
        return [(e["action"], e["outcome"]) for e in audit.entries(conn, pw.HASHER(customer_id))]


def test_without_the_right_token_nothing_happens(world):
    who = pw.person(world.store)
    pw.chat(world, f"web-{who.customer_id}", who)
    path = f"/admin/customers/{who.customer_id}"
    for headers in ({}, bearer("wrong-token-wrong-token"), {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": "Bearer"}, bearer(TOKEN + "x")):  # fmt: skip
        for method in ("get", "delete"):
            _, response = getattr(client(world), method)(path, headers=headers)
            assert response.status == 401, (method, headers)
            assert response.json["error"]["field"] == "authorization"
            assert "email" not in response.text
    _, response = client(world, token=None).delete(path, headers=bearer(TOKEN))
    assert response.status == 401 and "disabled" in response.json["error"]["problem"]
    assert audited(world, who.customer_id) == [] and len(pw.scan(world.stores, who)) > 5


def test_export_and_erase_over_http(world):
    who = pw.person(world.store)
    pw.record_chat_consent(world, who)
    pw.chat(world, f"web-{who.customer_id}", who)
    api, path = client(world), f"/admin/customers/{who.customer_id}"

    _, exported = api.get(path, headers=bearer(TOKEN))
    assert exported.status == 200
    assert exported.json["profile"]["email"] == who.email
    assert exported.json["conversations"][0]["sender_id"] == f"web-{who.customer_id}"

    _, erased = api.delete(path, headers=bearer(TOKEN))
    assert erased.status == 200 and erased.json["success"] is True
    assert erased.json["erased"]["customers"] == 1 and erased.json["erased"]["conversations"] == 1
    assert erased.json["subject"] == pw.HASHER(who.customer_id)
    assert pw.scan(world.stores, who) == []

    _, gone = api.get(path, headers=bearer(TOKEN))
    assert gone.status == 404 and gone.json["error"]["field"] == "customer_id"
    assert audited(world, who.customer_id) == [
        ("export", "delivered"), ("erasure", "completed"), ("export", "nothing held")]


def test_a_bad_id_is_a_400_and_a_store_down_a_503(world):
    api = client(world)
    _, long = api.get("/admin/customers/" + "x" * 65, headers=bearer(TOKEN))
    assert long.status == 400 and "64" in long.json["error"]["problem"]

    who = pw.person(world.store)
    down = ConversationStore("event broker", create_engine("postgresql://x@127.0.0.1:1/none"))
    _, failed = client(world, conversations=[down]).delete(
        f"/admin/customers/{who.customer_id}", headers=bearer(TOKEN))
    assert failed.status == 503 and failed.json["error"]["field"] == "store"
    assert audited(world, who.customer_id) == [("erasure", "failed")]


def test_a_models_folder_that_cannot_take_the_erasure_is_a_503_not_a_500(world):
    """An erasure lists the customer in the models' erased list; where that cannot be
    written (here its lock file is a folder), the request says so and the audit log too."""
    who = pw.person(world.store)
    (world.models / "erased.lock").unlink(missing_ok=True)
    (world.models / "erased.lock").mkdir()
    _, failed = client(world).delete(f"/admin/customers/{who.customer_id}",
                                     headers=bearer(TOKEN))  # fmt: skip
    assert failed.status == 503 and failed.json["error"]["field"] == "server"
    assert "send it again" in failed.json["error"]["problem"]
    assert audited(world, who.customer_id) == [("erasure", "failed")]
