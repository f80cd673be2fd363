"""Reading Rasa's endpoints file as Rasa does: ${NAME} from the environment."""

from __future__ import annotations

import pytest

from personalization.rasa_endpoints import EndpointsError, read_endpoints
from scripts.stack import action_port_of
from tests.trackers import ROOT


def test_variables_are_filled_in_the_sections_read(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_DB_HOST", "db.internal")
    monkeypatch.delenv("TEST_ACTIONS", raising=False)
    path = tmp_path / "endpoints.yml"
    path.write_text("action_endpoint: {url: '${TEST_ACTIONS}'}\ntracker_store: "
                    "{type: SQL, url: '${TEST_DB_HOST}', db: 'rasa_${TEST_DB_HOST}'}\n")
    assert read_endpoints(path, "tracker_store") == {"tracker_store": {
        "type": "SQL", "url": "db.internal", "db": "rasa_db.internal"}}
    with pytest.raises(EndpointsError, match="TEST_ACTIONS"):  # needed, and not set
        read_endpoints(path, "action_endpoint")


def test_the_scaled_configuration_names_what_it_needs(monkeypatch):
    monkeypatch.delenv("ACTION_SERVER_URL", raising=False)
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    with pytest.raises(EndpointsError, match="ACTION_SERVER_URL"):
        action_port_of(ROOT / "config" / "scaled" / "endpoints.yml")
    monkeypatch.setenv("ACTION_SERVER_URL", "http://localhost:5100/webhook")
    with pytest.raises(EndpointsError, match="ACTION_SERVER_TOKEN"):  # Rasa sends it
        action_port_of(ROOT / "config" / "scaled" / "endpoints.yml")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "a-token-for-the-action-servers")
    assert action_port_of(ROOT / "config" / "scaled" / "endpoints.yml") == 5100
