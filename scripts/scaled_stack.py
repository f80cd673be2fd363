"""`make run-scaled`: the scale-out configuration (config/scaled/endpoints.yml) on this
machine's PostgreSQL, Redis and RabbitMQ: two Rasa servers behind nginx, two action servers,
the event API, the updater consuming RabbitMQ (and sweeping conversations erased from the
chat; its health check on 5057), and the chat page; Ctrl-C stops them all.

Where the environment does not say otherwise, the services are the local ones of a
development machine (LOCAL below: for local demos only, as the README says).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from scripts.stack import (
    ROOT,
    Service,
    _start,
    ensure_free,
    serve_until_stopped,
    start_action_server,
    start_event_api,
    start_rasa_server,
    start_web_demo,
    stop,
    stop_on_signals,
    wait_until_up,
)

SCALED = ROOT / "config" / "scaled" / "endpoints.yml"
LOCAL = {
    "RASA_DB_HOST": "127.0.0.1", "RASA_DB_NAME": "brightcart_conversations",
    "RASA_DB_USER": "postgres", "RASA_DB_PASSWORD": "",
    "REDIS_HOST": "127.0.0.1", "REDIS_LOCK_DB": "1", "REDIS_KEY_PREFIX": "brightcart",
    "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
    "RABBITMQ_QUEUE": "rasa_events",
    "PERSONALIZATION_DB_URL": "postgresql://postgres@127.0.0.1:5432/brightcart_profiles",
    "PERSONALIZATION_MODELS": "models/personalization-scaled",
}  # fmt: skip
NGINX = """worker_processes 1;
error_log {logs}/nginx_error.log warn;
pid {run}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  log_format upstream '$remote_addr "$request" $status -> $upstream_addr $request_time';
  access_log {logs}/nginx_access.log upstream;
  client_body_temp_path {run}/body; proxy_temp_path {run}/proxy;
  fastcgi_temp_path {run}/fastcgi; uwsgi_temp_path {run}/uwsgi; scgi_temp_path {run}/scgi;
  upstream rasa {{ {servers} }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;        # socket.io's WebSocket
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 300s;
    }}
  }}
}}
"""


def settings_env() -> dict[str, str]:
    return {name: os.environ.get(name, default) for name, default in LOCAL.items()}


def create_databases(env: dict[str, str]) -> None:
    """The tracker store's and profile store's PostgreSQL databases, if missing."""
    tracker = make_url(f"postgresql://{env['RASA_DB_USER']}@{env['RASA_DB_HOST']}:5432/"
                       f"{env['RASA_DB_NAME']}").set(password=env["RASA_DB_PASSWORD"] or None)
    for url in (tracker, make_url(env["PERSONALIZATION_DB_URL"])):
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": url.database}).scalar():  # fmt: skip
                    conn.execute(text(f'CREATE DATABASE "{url.database}"'))
                    print(f"Created the PostgreSQL database {url.database}.")
        finally:
            admin.dispose()


def prepare(env: dict[str, str]) -> None:
    """Databases, schema, the demo shop (when empty) and customer models (when stale)."""
    create_databases(env)
    for command in (["db", "upgrade"], ["demo-data", "--customers", "5000", "--if-empty"],
                    ["train", "--if-stale", "--score", "--out", env["PERSONALIZATION_MODELS"]]):
        subprocess.run([sys.executable, "-m", "personalization", *command], cwd=ROOT,
                       env={**os.environ, **env}, check=True)  # fmt: skip


def start_scaled_updater(amqp: str, log_path: Path, env: dict[str, str], queue: str,
                         health_port: int, sweep_every: float = 30.0) -> Service:  # fmt: skip
    """The updater of the scaled configuration: consumes the deployment's queue and always
    sweeps the conversations erased from the chat from the tracker store in SCALED (nothing
    else deletes them); GET /health on `health_port` (503 while sweeps are overdue)."""
    command = [sys.executable, "-m", "personalization", "updater", "--source", amqp,
               "--queue", queue, "--endpoints", str(SCALED), "--sweep-every", str(sweep_every),
               "--health-port", str(health_port)]  # fmt: skip
    return _start("updater", command, log_path, env)


def start_nginx(port: int, rasa_ports: list[int], logs: Path) -> Service:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is needed as the load balancer: `sudo apt-get install nginx`.")
    run = ROOT / "var" / "nginx"
    run.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    config = run / "nginx.conf"
    config.write_text(NGINX.format(logs=logs.resolve(), run=run, port=port, servers=" ".join(
        f"server 127.0.0.1:{p};" for p in rasa_ports)))  # fmt: skip
    command = [nginx, "-p", str(run), "-c", str(config), "-e", str(logs.resolve() /
               "nginx_error.log"), "-g", "daemon off;"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    return Service("load balancer (nginx)", process, logs / "nginx_error.log")


def main(argv: list[str] | None = None) -> int:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "brightcart.tar.gz")
    parser.add_argument("--rasa-port", type=int, default=5005, help="the load balancer's")
    parser.add_argument("--events-port", type=int, default=5056)
    parser.add_argument("--updater-health-port", type=int, default=5057)
    parser.add_argument("--web-port", type=int, default=8080)
    parser.add_argument("--servers", type=int, default=2, help="Rasa + action server pairs")
    parser.add_argument("--first-internal-port", type=int, default=5100,
                        help="the Rasa and action servers listen from this port on")
    parser.add_argument("--logs", type=Path, default=ROOT / "logs" / "scaled")
    parser.add_argument("--prepare", action="store_true", help="only create the databases "
                        "if missing, migrate, fill an empty store with the demo shop and train "
                        "the customer models if stale, then exit")
    args = parser.parse_args(argv)
    env = settings_env()
    services: list[Service] = []
    try:
        if args.prepare:
            prepare(env)
            return 0
        internal = list(range(args.first_internal_port,
                              args.first_internal_port + 2 * args.servers))  # fmt: skip
        for port in (args.rasa_port, args.events_port, args.updater_health_port, args.web_port,
                     *internal):  # fmt: skip
            ensure_free(port, "the scaled stack")
        shared = {**env, "PERSONALIZATION_ENDPOINTS": str(SCALED),  # this run's token for
                  "ACTION_SERVER_TOKEN": os.environ.get("ACTION_SERVER_TOKEN")  # Rasa's calls
                  or secrets.token_urlsafe(24)}  # fmt: skip
        amqp = (f"amqp://{env['RABBITMQ_USER']}:{env['RABBITMQ_PASSWORD']}@"
                f"{env['RABBITMQ_HOST']}:5672/")  # fmt: skip
        updater = start_scaled_updater(amqp, args.logs / "updater.log", shared,
                                       env["RABBITMQ_QUEUE"], args.updater_health_port)
        services.append(updater)
        events = start_event_api(args.events_port, args.logs / "event_api.log", shared)
        services.append(events)
        pairs = []
        for i in range(args.servers):
            action_port, rasa_port = internal[2 * i], internal[2 * i + 1]
            own = {**shared, "ACTION_SERVER_URL": f"http://localhost:{action_port}/webhook"}
            actions = start_action_server(action_port, args.logs / f"action_server_{i}.log", own)
            rasa = start_rasa_server(args.model, rasa_port, SCALED,
                                     args.logs / f"rasa_server_{i}.log", env=own)  # fmt: skip
            services += [actions, rasa]
            pairs.append((actions, action_port, rasa, rasa_port))
        print(f"Starting {args.servers} Rasa servers and {args.servers} action servers on "
              f"ports {internal[0]}-{internal[-1]}, the event API and the updater (logs: "
              f"{args.logs}); loading the models takes a little while...")
        wait_until_up(events, f"http://localhost:{args.events_port}/health")
        wait_until_up(updater, f"http://localhost:{args.updater_health_port}/health")
        for actions, action_port, rasa, rasa_port in pairs:
            wait_until_up(actions, f"http://localhost:{action_port}/health")
            wait_until_up(rasa, f"http://localhost:{rasa_port}/webhooks/rest/", timeout=300)
        balancer = start_nginx(args.rasa_port, [p[3] for p in pairs], args.logs)
        services.append(balancer)
        wait_until_up(balancer, f"http://localhost:{args.rasa_port}/webhooks/rest/")
        web = start_web_demo(args.web_port, args.rasa_port, args.logs / "web_page.log", shared)
        services.append(web)
        wait_until_up(web, f"http://localhost:{args.web_port}/api/config")
        print(f"\nRasa (load balanced): http://localhost:{args.rasa_port}/webhooks/rest/webhook"
              f"\nChat page: http://localhost:{args.web_port}/  Ctrl-C stops everything.")
        return serve_until_stopped(services)
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError, SQLAlchemyError, subprocess.CalledProcessError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        if services:
            print("\nStopping the servers...")
        stop(services)


if __name__ == "__main__":
    sys.exit(main())
