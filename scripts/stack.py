"""Start the assistant's servers, wait until they answer, stop them together on Ctrl-C.

`make run` puts the web chat page in front (scripts/web_demo.py), `make shell` a terminal
chat; the end-to-end and browser tests use the same functions with their own ports and
endpoints.
"""

from __future__ import annotations

import argparse
import os
import secrets
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

import yaml

from personalization.rasa_endpoints import EndpointsError, read_endpoints
from personalization.settings import Settings

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
    env: dict | None = None,
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
    return _start("Rasa server", command, log_path, env)


def start_event_api(port: int, log_path: Path, env: dict | None = None) -> Service:
    command = [sys.executable, "-m", "personalization", "serve-events", "--port", str(port)]
    return _start("event API", command, log_path, env)


def start_updater(broker_url: str, log_path: Path, env: dict | None = None,
                  endpoints: Path | None = None, queue: str | None = None) -> Service:  # fmt: skip
    command = [sys.executable, "-m", "personalization", "updater", "--source", broker_url,
               "--interval", "0.3", *(["--endpoints", str(endpoints)] if endpoints else []),
               *(["--queue", queue] if queue else [])]
    return _start("updater", command, log_path, env)


def start_web_demo(port: int, rasa_port: int, log_path: Path, env: dict | None = None,
                   reports: Path | None = None) -> Service:  # fmt: skip
    command = [sys.executable, "-m", "scripts.web_demo", "--port", str(port),
               "--rasa-port", str(rasa_port), *(["--reports", str(reports)] if reports else [])]
    return _start("web page", command, log_path, env)


def rasa_api_args(token: str) -> list[str]:
    """Rasa's HTTP API, which the "why" panel reads, behind a token."""
    return ["--enable-api", "--auth-token", token]


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

    from personalization.rules import load_rules
    from personalization.store import Store
    from personalization.store.customers import example_customers
    from scripts.chat import chat, choose_customer

    settings = Settings.from_env()
    examples = []
    if settings.identity_secret:
        try:
            store = Store.from_url(settings.db_url, check_schema=False)
            notice = load_rules(settings.rules_path).settings.privacy_notice_version
            with store.engine.connect() as conn:
                examples = example_customers(conn, notice)
            store.dispose()
        except SQLAlchemyError as error:
            print(f"(no customers to chat as: {type(error).__name__})")
    else:
        print("PERSONALIZATION_IDENTITY_SECRET is not set: you chat as an anonymous visitor.")
    chat(rasa_url, choose_customer(examples), settings.identity_secret,
         settings.signature_lifetime)


def action_port_of(endpoints: Path) -> int:
    """The port of the action server that `endpoints` tells Rasa to call."""
    url = read_endpoints(endpoints, "action_endpoint").get("action_endpoint", {}).get("url", "")
    port = urllib.parse.urlsplit(url).port
    if port is None:
        raise RuntimeError(f"{endpoints}: action_endpoint.url ({url!r}) names no port.")
    return port


def endpoints_in(folder: Path, action_port: int, host: str = "localhost") -> Path:
    """The project's endpoints.yml with its own action port and databases in `folder` (tests,
    benchmarks): written to folder/endpoints.yml."""
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    config["action_endpoint"]["url"] = f"http://{host}:{action_port}/webhook"
    config["tracker_store"]["db"] = str(folder / "conversations.db")
    config["event_broker"]["db"] = str(folder / "rasa_events.db")
    path = folder / "endpoints.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def broker_url_of(endpoints: Path) -> str:
    """The database URL of the SQL event broker that `endpoints` configures for Rasa."""
    broker = read_endpoints(endpoints, "event_broker").get("event_broker") or {}
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


def serve_until_stopped(services: list[Service]) -> int:
    """Wait for Ctrl-C; if a server dies meanwhile, say which and stop the others."""
    while True:
        for service in services:
            if service.process.poll() is not None:
                print(f"The {service.name} stopped (exit code {service.process.returncode}). "
                      f"Last lines of {service.log_path}:\n{service.log_tail()}", file=sys.stderr)
                return 1
        time.sleep(1)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP (`kill`, a closed terminal) stop the servers as Ctrl-C does."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)


def main(argv: list[str] | None = None) -> int:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "brightcart.tar.gz")
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument(
        "--endpoints", type=Path, default=ROOT / "endpoints.yml",
        help="the action server is started on the port its action_endpoint names",
    )
    parser.add_argument("--logs", type=Path, default=ROOT / "logs")
    parser.add_argument("--events-port", type=int, default=5056, help="the event API's port")
    parser.add_argument("--web-port", type=int, default=8080, help="the chat page's port")
    parser.add_argument("--terminal", action="store_true",
                        help="chat in this terminal instead of serving the web page")
    args = parser.parse_args(argv)

    services: list[Service] = []
    try:
        action_port = action_port_of(args.endpoints)
        ports = [(action_port, "action server"), (args.rasa_port, "Rasa server"),
                 (args.events_port, "event API")]  # fmt: skip
        if not args.terminal:
            ports.append((args.web_port, "web page"))
        for port, what in ports:
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
        token = secrets.token_urlsafe(24)  # this run's; only the web page's server gets it
        explain = Settings.from_env().explain and not args.terminal
        rasa = start_rasa_server(args.model, args.rasa_port, args.endpoints,
                                 args.logs / "rasa_server.log",
                                 extra_args=rasa_api_args(token) if explain else ())  # fmt: skip
        services.append(rasa)
        print(f"Rasa server starting on port {args.rasa_port} (log: {rasa.log_path}); "
              "loading the model takes a little while...")
        wait_until_up(rasa, f"http://localhost:{args.rasa_port}/webhooks/rest/")
        print(f"Rasa server ready: http://localhost:{args.rasa_port}/webhooks/rest/webhook")
        if args.terminal:
            _terminal_chat(f"http://localhost:{args.rasa_port}")
            return 0
        web = start_web_demo(args.web_port, args.rasa_port, args.logs / "web_page.log",
                             {"RASA_API_TOKEN": token, **stores})  # fmt: skip
        services.append(web)
        wait_until_up(web, f"http://localhost:{args.web_port}/api/config")
        print(f"\nChat page: http://localhost:{args.web_port}/  (report: "
              f"http://localhost:{args.web_port}/report/"
              f"{'; why panel on' if explain else ''}). Ctrl-C stops everything.")
        return serve_until_stopped(services)
    except (KeyboardInterrupt, EOFError):
        return 0
    except (RuntimeError, TimeoutError, EndpointsError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        print("\nStopping the servers...")
        stop(services)


if __name__ == "__main__":
    sys.exit(main())
