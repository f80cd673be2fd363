"""Start the action server and the Rasa server, wait until both answer, stop them together.

`make run` uses this with a terminal chat in front; the end-to-end tests use the same
functions with their own ports and endpoints.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
LOGGING = ROOT / "config" / "logging.yml"  # redacts personal data from the servers' logs


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _start(name: str, command: list[str], log_path: Path, env: dict | None = None) -> Service:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log: IO[bytes] = open(log_path, "ab")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop it
    )
    log.close()
    return Service(name, process, log_path)


def start_action_server(port: int, log_path: Path, env: dict | None = None) -> Service:
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port),
               "--logging-config_file", str(LOGGING)]  # (rasa_sdk spells the option so)
    return _start("action server", command, log_path, env)


def start_rasa_server(
    model: Path,
    port: int,
    endpoints: Path,
    log_path: Path,
    credentials: Path | None = None,
    extra_args: Sequence[str] = (),
) -> Service:
    command = [
        sys.executable, "-m", "rasa", "run",
        "--model", str(model),
        "--port", str(port),
        "--endpoints", str(endpoints),
        "--credentials", str(credentials or ROOT / "credentials.yml"),
        "--logging-config-file", str(LOGGING),
        *extra_args,
    ]
    return _start("Rasa server", command, log_path)


def start_event_api(port: int, log_path: Path, env: dict | None = None) -> Service:
    command = [sys.executable, "-m", "personalization", "serve-events", "--port", str(port)]
    return _start("event API", command, log_path, env)


def start_updater(broker_url: str, log_path: Path, env: dict | None = None,
                  endpoints: Path | None = None) -> Service:  # fmt: skip
    command = [sys.executable, "-m", "personalization", "updater", "--source", broker_url,
               "--interval", "0.3", *(["--endpoints", str(endpoints)] if endpoints else [])]
    return _start("updater", command, log_path, env)


def wait_until_up(service: Service, url: str, timeout: float = 180.0) -> None:
    """Poll `url` until it answers 200; fail early, with the log, if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(
                f"The {service.name} exited with code {service.process.returncode} before it "
                f"was ready. Last lines of {service.log_path}:\n{service.log_tail()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(
        f"The {service.name} did not answer at {url} within {timeout:.0f} s. "
        f"Last lines of {service.log_path}:\n{service.log_tail()}"
    )


def stop(services: list[Service], grace: float = 10.0) -> None:
    for service in services:
        if service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for service in services:
        try:
            service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()


def _terminal_chat(rasa_url: str) -> None:
    """Chat in this terminal, as a customer of the profile store or a visitor."""
    from sqlalchemy.exc import SQLAlchemyError

    from personalization.settings import Settings
    from personalization.store import Store
    from personalization.store.customers import example_customers
    from scripts.chat import chat, choose_customer

    settings = Settings.from_env()
    examples = []
    if settings.identity_secret:
        try:
            store = Store.from_url(settings.db_url, check_schema=False)
            with store.engine.connect() as conn:
                examples = example_customers(conn)
            store.dispose()
        except SQLAlchemyError as error:
            print(f"(no customers to chat as: {type(error).__name__})")
    else:
        print("PERSONALIZATION_IDENTITY_SECRET is not set: you chat as an anonymous visitor.")
    chat(rasa_url, choose_customer(examples), settings.identity_secret)


def action_port_of(endpoints: Path) -> int:
    """The port of the action server that `endpoints` tells Rasa to call."""
    import yaml

    url = (yaml.safe_load(endpoints.read_text()) or {}).get("action_endpoint", {}).get("url", "")
    port = urllib.parse.urlsplit(url).port
    if port is None:
        raise RuntimeError(f"{endpoints}: action_endpoint.url ({url!r}) names no port.")
    return port


def broker_url_of(endpoints: Path) -> str:
    """The database URL of the SQL event broker that `endpoints` configures for Rasa."""
    import yaml

    broker = (yaml.safe_load(endpoints.read_text()) or {}).get("event_broker") or {}
    if broker.get("type") != "SQL" or broker.get("dialect", "sqlite") != "sqlite":
        raise RuntimeError(f"{endpoints}: make run expects a SQL event broker on SQLite.")
    path = Path(broker["db"])
    return f"sqlite:///{path if path.is_absolute() else ROOT / path}"


def ensure_free(port: int, what: str) -> None:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(
                f"Port {port}, needed for the {what}, is already in use (another `make run`?). "
                "Stop that process, or choose other ports with --rasa-port and --endpoints."
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "brightcart.tar.gz")
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument(
        "--endpoints", type=Path, default=ROOT / "endpoints.yml",
        help="the action server is started on the port its action_endpoint names",
    )
    parser.add_argument("--logs", type=Path, default=ROOT / "logs")
    parser.add_argument("--events-port", type=int, default=5056, help="the event API's port")
    parser.add_argument(
        "--rasa-shell", action="store_true",
        help="use `rasa shell --debug` (its own server) instead of `rasa run` + a chat client",
    )
    args = parser.parse_args(argv)

    services: list[Service] = []
    try:
        action_port = action_port_of(args.endpoints)
        for port, what in ((action_port, "action server"), (args.rasa_port, "Rasa server"),
                           (args.events_port, "event API")):
            ensure_free(port, what)
        (ROOT / "var").mkdir(exist_ok=True)
        stores = {"PERSONALIZATION_ENDPOINTS": str(args.endpoints)}  # for privacy requests
        actions = start_action_server(action_port, args.logs / "action_server.log", stores)
        events = start_event_api(args.events_port, args.logs / "event_api.log", stores)
        updater = start_updater(broker_url_of(args.endpoints), args.logs / "updater.log",
                                endpoints=args.endpoints)  # fmt: skip
        services += [actions, events, updater]
        print(f"Action server starting on port {action_port} (log: {actions.log_path})")
        print(f"Event API starting on http://localhost:{args.events_port}/v1/ "
              f"(log: {events.log_path}); updater log: {updater.log_path}")
        wait_until_up(actions, f"http://localhost:{action_port}/health")
        wait_until_up(events, f"http://localhost:{args.events_port}/health")
        if args.rasa_shell:
            command = [sys.executable, "-m", "rasa", "shell", "--debug", "--logging-config-file",
                       str(LOGGING), "--model", str(args.model),
                       "--endpoints", str(args.endpoints), "--port", str(args.rasa_port)]
            return subprocess.call(command, cwd=ROOT)
        rasa = start_rasa_server(
            args.model, args.rasa_port, args.endpoints, args.logs / "rasa_server.log"
        )
        services.append(rasa)
        print(f"Rasa server starting on port {args.rasa_port} (log: {rasa.log_path}); "
              "loading the model takes a little while...")
        wait_until_up(rasa, f"http://localhost:{args.rasa_port}/webhooks/rest/")
        print(f"Rasa server ready: http://localhost:{args.rasa_port}/webhooks/rest/webhook")
        _terminal_chat(f"http://localhost:{args.rasa_port}")
        return 0
    except (KeyboardInterrupt, EOFError):
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        print("\nStopping the servers...")
        stop(services)


if __name__ == "__main__":
    sys.exit(main())
