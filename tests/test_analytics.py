"""Conversation analytics (requests by intent, routes taken, fallback rate) counted in a
tracker store that Rasa's own SQLTrackerStore filled, and their place in the report; the
`report` command end to end."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from personalization.analytics import conversation_analytics
from personalization.privacy.conversations import TRACKER_STORE, ConversationStore
from personalization.store.engine import create_engine
from personalization.training.report import write_report
from tests.trackers import ROOT

CONVERSATIONS = {  # sender: (intent, the actions that answered it), ...
    "s1": [("greet", ["utter_greet"]), ("contact_human_agent", ["utter_handoff_vip_agent",
                                                                "action_handoff"])],
    "s2": [("nlu_fallback", ["utter_ask_rephrase"]), ("nlu_fallback", ["utter_offer_human"]),
           ("affirm", ["utter_handoff_standard", "action_handoff"])],
    "s3": [("track_order", ["order_form"]), ("contact_human_agent", ["utter_offer_callback"])],
    "s4": [("track_order", ["action_answer_order"]), ("greet", ["utter_greet"]),
           ("contact_human_agent", ["utter_handoff_standard", "action_handoff"])],
}  # fmt: skip


def saved(path) -> ConversationStore:
    store = SQLTrackerStore(dialect="sqlite", db=str(path))
    for sender, turns in CONVERSATIONS.items():
        events = [ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen")]  # fmt: skip
        for intent, actions in turns:
            events.append(UserUttered(f"({intent})", {"name": intent, "confidence": 0.9}))
            events += [ActionExecuted(a) for a in actions] + [ActionExecuted("action_listen")]
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()
    return ConversationStore(TRACKER_STORE, create_engine(f"sqlite:///{path}"))


def saved_with_endpoints(folder) -> Path:
    """The conversations of `saved` in folder/tracker.db, and an endpoints file naming it."""
    saved(folder / "tracker.db").dispose()
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(f"tracker_store: {{type: SQL, dialect: sqlite, "
                         f"db: {folder / 'tracker.db'}}}\n")  # fmt: skip
    return endpoints


def test_requests_routes_and_fallbacks_are_counted(tmp_path):
    found = conversation_analytics(saved(tmp_path / "tracker.db"))
    assert (found.conversations, found.messages, found.fallbacks) == (4, 10, 2)
    assert found.fallback_rate == 0.2
    assert found.by_intent == {"contact_human_agent": 3, "greet": 2, "track_order": 2,
                               "affirm": 1}  # fmt: skip
    assert found.routes == {"standard": 2, "vip_agent": 1} and found.callbacks == 1


def test_an_empty_or_missing_tracker_store_counts_nothing(tmp_path):
    empty = ConversationStore(TRACKER_STORE, create_engine(f"sqlite:///{tmp_path / 'none.db'}"))
    found = conversation_analytics(empty)
    assert (found.conversations, found.messages, found.fallback_rate) == (0, 0, 0.0)


def test_the_report_shows_the_conversations(trained, tmp_path):
    store, _, models, _ = trained
    page = write_report(store, models, tmp_path / "report",
                        conversation_analytics(saved(tmp_path / "tracker.db")))
    text = page.read_text()
    assert "4 conversations, 10 customer messages" in text
    assert "Fallback rate (messages not understood): 20.0%" in text
    assert "<tr><td>vip_agent</td><td class=num>1</td></tr>" in text
    assert "<tr><td>contact_human_agent</td><td class=num>3</td><td class=num>30.0%" in text
    assert (tmp_path / "report" / "conversations.png").read_bytes()[:4] == b"\x89PNG"
    assert "(greet)" not in text  # aggregates only: no message text


def test_the_report_command_reads_the_tracker_store_of_the_endpoints_file(trained, tmp_path):
    store, folder, _, _ = trained
    endpoints = saved_with_endpoints(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "personalization", "--db", str(store.engine.url), "report",
         "--models", str(folder), "--out", str(tmp_path / "out"), "--endpoints", str(endpoints)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "4 conversations" in (tmp_path / "out" / "index.html").read_text()
