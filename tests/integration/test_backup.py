"""`eccs backup` and `eccs restore` on real servers: PostgreSQL 15, FerretDB (MongoDB's wire
protocol) for the audit trail, Apache Kafka, the three services and an SMTP server.

ECCS is filled through its API and its delivery worker, then backed up, wiped, restored, and every
table and audit collection compared (row counts and content checksums). A damaged backup, or one
opened with another key, is refused with the data left as it was; a backup taken while sends pour
in restores into a consistent database.

The services of this module have their own database, so wiping it touches no other test.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pymongo
import pytest
from bson.raw_bson import RawBSONDocument

from eccs.platform import migrations
from tests.conftest import Database, Service, start_service, unavailable
from tests.integration.conftest import Account
from tests.servers.kafka import KafkaServer
from tests.servers.postgres import PostgresServer
from tests.servers.receivers import Receiver, machine_address
from tests.servers.smtp import SmtpServer
from tests.waiting import wait_for, wait_until

Snapshot = dict[str, tuple[int, str]]
REFUSED_DOMAIN = "refused.test"
ROWS_CHECKSUM = "md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"


@dataclass
class Stack:
    database: Database
    mongodb_url: str
    env: dict[str, str]
    work_dir: Path
    services: dict[str, Service]

    def start(self) -> None:
        """The three services; none left running if one of them does not start."""
        try:
            auth = start_service("auth", self.env, self.work_dir)
            self.services = {"auth": auth}
            env = {**self.env, "AUTH_SERVICE_URL": auth.url}
            for name in ("email", "notification"):
                self.services[name] = start_service(name, env, self.work_dir)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for service in reversed(self.services.values()):
            service.process.terminate()
            service.process.wait(30)
        self.services = {}

    def eccs(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The `eccs` command as an operator runs it, on this stack's servers."""
        return subprocess.run(
            [sys.executable, "-m", "eccs", *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )


def new_database(server: PostgresServer, name: str) -> Database:
    Database(server.url()).query(f'CREATE DATABASE "{name}"')
    return Database(server.url(name))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on this machine's own address, allowed as an on-premise one."""
    host = machine_address()
    if host is None:
        unavailable("this machine has no address but loopback for the webhook receiver")
    assert host is not None
    with Receiver(host) as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    receiver: Receiver,
    postgres_server: PostgresServer,
    ferretdb_url: str,
    kafka: KafkaServer,
    service_env: dict[str, str],
    jwt_key_file: Path,
    work_dir: Path,
) -> Iterator[Stack]:
    database = new_database(postgres_server, f"backup_{uuid.uuid4().hex[:8]}")
    migrations.upgrade(database.url.replace("postgresql://", "postgresql+asyncpg://"))
    mongodb_url = f"{ferretdb_url}audit_{uuid.uuid4().hex[:8]}"
    (work_dir / "backup").mkdir(exist_ok=True)
    with SmtpServer() as smtp:
        smtp.rules.recipient(REFUSED_DOMAIN, "550 5.1.1 no such user")
        env = {
            **service_env,
            "DATABASE_URL": database.url,
            "MONGODB_URL": mongodb_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_STARTTLS": "false",
            "SMTP_FROM": "postmaster@eccs.test",
            "SEND_QUOTA_PER_HOUR": "100000",
            "WEBHOOK_ALLOWED_NETWORKS": f"{receiver.host}/32",
        }
        running = Stack(database, mongodb_url, env, work_dir / "backup", {})
        running.start()
        yield running
        running.stop()


# The services' addresses as they are now: a test may stop and start them (on new ports).
@pytest.fixture
def auth_url(stack: Stack) -> str:
    return stack.services["auth"].url


@pytest.fixture
def email_url(stack: Stack) -> str:
    return stack.services["email"].url


@pytest.fixture
def mailbox(stack: Stack) -> Database:
    return stack.database


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory, stack: Stack) -> Path:
    """A key made as an operator makes the first one: with the first backup."""
    where = tmp_path_factory.mktemp("key")
    path = where / "backup.key"
    made = stack.eccs("backup", "--new-key", "--key-file", str(path), "--to", str(where / "b"))
    assert made.returncode == 0, made.stderr
    assert path.stat().st_mode & 0o077 == 0, "the key file is readable by others"
    return path


# --- what is compared -------------------------------------------------------------------------


def tables(database: Database) -> list[str]:
    rows = database.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return [row["tablename"] for row in rows]


def table_snapshot(database: Database) -> Snapshot:
    """Each table's row count and a checksum of all its rows (in a fixed order)."""
    snapshot = {}
    for table in tables(database):
        # Table names as pg_tables gives them, quoted.
        query = f'SELECT count(*) AS n, {ROWS_CHECKSUM} AS sum FROM "{table}" t'  # noqa: S608
        [row] = database.query(query)
        snapshot[table] = (row["n"], row["sum"])
    return snapshot


def audit_snapshot(mongodb_url: str) -> Snapshot:
    """Each audit collection's document count and a checksum of its raw BSON documents."""
    options = {"document_class": RawBSONDocument}
    with pymongo.MongoClient(mongodb_url, **options) as client:
        database = client.get_default_database()
        snapshot = {}
        for name in sorted(database.list_collection_names()):
            digest = hashlib.sha256()
            documents = list(database[name].find({}, sort=[("_id", 1)]))
            for document in documents:
                digest.update(document.raw)
            snapshot[name] = (len(documents), digest.hexdigest())
        return snapshot


def wipe(stack: Stack) -> None:
    stack.database.query("DROP SCHEMA public CASCADE")
    stack.database.query("CREATE SCHEMA public")
    with pymongo.MongoClient(stack.mongodb_url) as client:
        client.drop_database(client.get_default_database())


# --- filling ECCS through its API ---------------------------------------------------------------


def fill(register: Callable[..., Account], receiver: Receiver) -> list[str]:
    """Accounts with API keys, templates, contacts, webhook endpoints, a suppression and emails
    of every kind (one batch too), as users make them; once the receiver has their events."""
    sent = []
    later = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    for number in range(3):
        account = register(name=f"Backed-up user {number}")
        account.auth.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
        account.auth.post("/api/auth/keys", json={"name": "ci", "scopes": ["emails:send"]})
        for password in ("not the password at all", account.password):
            httpx.post(
                f"{account.auth.base_url}/api/auth/login",
                json={"email": account.email, "password": password},
            )
        template = account.mail.post(
            "/api/templates",
            json={"name": f"welcome {number}", "subject": "Hi {{name}}", "text": "Hello {{name}}"},
        ).json()
        for contact in range(3):
            account.mail.post(
                "/api/contacts", json={"email": f"c{contact}@example.test", "name": f"C {contact}"}
            )
        hook = {"url": receiver.url, "events": ["email.sent", "email.failed"]}
        assert account.mail.post("/api/webhooks", json=hook).status_code == 201
        account.mail.post("/api/suppressions", json={"address": f"gone{number}@example.test"})
        batch = account.mail.post(
            "/api/emails/batch",
            json=[
                {"to": [f"batch{number}@example.test"], "subject": "In a batch", "text": "1"},
                {"to": ["not an address"], "subject": "Refused in the batch", "text": "2"},
            ],
        )
        assert batch.status_code == 202, batch.text
        sent.append((account, batch.json()["results"][0]["email"]["id"]))
        sends = [
            {"to": [f"a{number}@example.test"], "subject": "Plain", "text": "Plain text"},
            {
                "to": [f"b{number}@example.test"],
                "subject": "With a file",
                "html": "<p>See <b>attached</b></p>",
                "attachments": [
                    {
                        "filename": "report.txt",
                        "content_type": "text/plain",
                        "content_base64": base64.b64encode(os.urandom(2048)).decode(),
                    }
                ],
            },
            {
                "to": [f"t{number}@example.test"],
                "template_id": template["id"],
                "template_data": {"name": "Reader"},
            },
            {"to": [f"nobody{number}@{REFUSED_DOMAIN}"], "subject": "Refused", "text": "No"},
            {
                "to": [f"later{number}@example.test"],
                "subject": "Later",
                "text": "Tomorrow",
                "scheduled_at": later,
            },
        ]
        for body in sends:
            response = account.mail.post(
                "/api/emails/send", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            assert response.status_code == 202, response.text
            sent.append((account, response.json()["id"]))
    statuses = [wait_until_settled(account, email_id) for account, email_id in sent]
    # Every email but the scheduled ones is an event (sent or failed) for its sender's endpoint.
    receiver.wait_for(len([s for s in statuses if s != "scheduled"]), timeout=30)
    return statuses


def wait_until_delivered_to(database: Database, address: str, timeout: float = 60) -> None:
    """Until every email to `address` is final (ECCS's own emails about an account too)."""

    def delivered() -> bool:
        [row] = database.query(
            "SELECT count(*) AS moving FROM emails e JOIN email_recipients r ON r.email_id = e.id"
            " WHERE r.address = $1 AND e.status NOT IN ('sent', 'failed', 'cancelled')",
            address,
        )
        return int(row["moving"]) == 0

    wait_until(delivered, f"every email to {address} delivered", timeout)


def wait_until_settled(account: Account, email_id: str, timeout: float = 60) -> str:
    def settled() -> str | None:
        status = str(account.mail.get(f"/api/emails/{email_id}").json()["status"])
        return status if status in ("sent", "failed", "scheduled") else None

    return wait_for(settled, f"email {email_id} settled", timeout, every=0.2)


# --- the tests ----------------------------------------------------------------------------------


def test_a_restore_brings_back_every_table_and_the_audit_trail(
    stack: Stack,
    register: Callable[..., Account],
    receiver: Receiver,
    key_file: Path,
    tmp_path: Path,
) -> None:
    statuses = fill(register, receiver)
    assert {"sent", "failed", "scheduled"} <= set(statuses)
    stack.stop()  # as the restore procedure says: no service writes while it runs
    try:
        restores_every_table_and_the_audit_trail(stack, key_file, tmp_path)
    finally:
        stack.start()


def restores_every_table_and_the_audit_trail(stack: Stack, key_file: Path, tmp_path: Path) -> None:
    tables_before = table_snapshot(stack.database)
    audit_before = audit_snapshot(stack.mongodb_url)
    assert audit_before["email_events"][0] > 0, "the worker recorded no delivery attempt"
    # Every table has rows, but audit_events (with MONGODB_URL the trail is in MongoDB) and
    # account_erasures (requests that last moments, and nobody was deleted).
    empty = [table for table, (count, _) in tables_before.items() if count == 0]
    assert empty == ["account_erasures", "audit_events"], tables_before

    backed_up = stack.eccs("backup", "--to", str(tmp_path / "backups"), "--key-file", str(key_file))
    assert backed_up.returncode == 0, backed_up.stderr
    archive = Path(backed_up.stdout.strip())
    wipe(stack)
    assert tables(stack.database) == []

    restored = stack.eccs("restore", str(archive), "--key-file", str(key_file), "--yes")

    assert restored.returncode == 0, restored.stderr
    assert table_snapshot(stack.database) == tables_before
    assert audit_snapshot(stack.mongodb_url) == audit_before


def test_the_restored_system_serves_its_users_again(
    stack: Stack, register: Callable[..., Account], key_file: Path, tmp_path: Path
) -> None:
    account = register(name="Returning user")
    email_id = account.send().json()["id"]
    wait_until_settled(account, email_id)
    backed_up = stack.eccs("backup", "--to", str(tmp_path / "backups"), "--key-file", str(key_file))
    assert backed_up.returncode == 0, backed_up.stderr
    stack.stop()
    wipe(stack)

    restored = stack.eccs("restore", backed_up.stdout.strip(), "--key-file", str(key_file), "--yes")
    stack.start()

    assert restored.returncode == 0, restored.stderr
    login = httpx.post(
        f"{stack.services['auth'].url}/api/auth/login",
        json={"email": account.email, "password": account.password},
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    email = httpx.get(
        f"{stack.services['email'].url}/api/emails/{email_id}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert email["status"] == "sent"
    assert [event["outcome"] for event in email["timeline"]], "the timeline came back empty"


def damaged(archive: Path, into: Path, offset_from_end: int | None = None) -> Path:
    """A copy of the archive with one byte flipped (in the encrypted dump by default)."""
    data = bytearray(archive.read_bytes())
    position = len(data) // 3 if offset_from_end is None else len(data) - offset_from_end
    data[position] ^= 0x01
    into.write_bytes(bytes(data))
    return into


@pytest.fixture
def one_backup(stack: Stack, key_file: Path, tmp_path: Path) -> Path:
    backed_up = stack.eccs("backup", "--to", str(tmp_path / "backups"), "--key-file", str(key_file))
    assert backed_up.returncode == 0, backed_up.stderr
    return Path(backed_up.stdout.strip())


@pytest.mark.parametrize(
    "damage",
    [
        lambda archive, into: damaged(archive, into),
        lambda archive, into: (
            into.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2]) or into
        ),
    ],
    ids=["a flipped bit", "a truncated copy"],
)
def test_a_damaged_backup_is_refused_and_nothing_is_changed(
    stack: Stack,
    register: Callable[..., Account],
    key_file: Path,
    one_backup: Path,
    tmp_path: Path,
    damage: Callable[[Path, Path], Path],
) -> None:
    made_after_the_backup = register(name="Newcomer")
    contact = made_after_the_backup.mail.post("/api/contacts", json={"email": "x@example.test"})
    assert contact.status_code == 201, contact.text
    # The sign-up's email delivered: nothing changes by itself from here on.
    wait_until_delivered_to(stack.database, made_after_the_backup.email)
    before = table_snapshot(stack.database)
    broken = damage(one_backup, tmp_path / "broken.tar")

    checked = stack.eccs("restore", str(broken), "--key-file", str(key_file), "--check")
    restored = stack.eccs("restore", str(broken), "--key-file", str(key_file), "--yes")

    for refused in (checked, restored):
        assert refused.returncode == 1
        assert "corrupt" in refused.stderr or "not a readable backup" in refused.stderr
    assert "Nothing was restored" in restored.stderr or "not a readable" in restored.stderr
    assert table_snapshot(stack.database) == before


def test_an_intact_backup_checks_out(stack: Stack, key_file: Path, one_backup: Path) -> None:
    checked = stack.eccs("restore", str(one_backup), "--key-file", str(key_file), "--check")
    assert checked.returncode == 0, checked.stderr
    assert "is intact" in checked.stderr


def test_a_backup_opened_with_another_key_is_refused(
    stack: Stack, one_backup: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.key"
    stack.eccs("backup", "--new-key", "--key-file", str(other), "--to", str(tmp_path / "o"))
    refused = stack.eccs("restore", str(one_backup), "--key-file", str(other), "--yes")
    assert refused.returncode == 1
    assert "was made with the key" in refused.stderr


def test_the_backup_holds_no_readable_email_content(
    stack: Stack, register: Callable[..., Account], key_file: Path, tmp_path: Path
) -> None:
    secret_subject = f"Quarterly figures {uuid.uuid4().hex}"
    account = register(name="Careful user")
    assert account.send(subject=secret_subject).status_code == 202
    backed_up = stack.eccs("backup", "--to", str(tmp_path / "backups"), "--key-file", str(key_file))
    archive = Path(backed_up.stdout.strip())
    assert secret_subject.encode() not in archive.read_bytes()
    assert archive.stat().st_mode & 0o077 == 0, "the backup is readable by others"


def test_retention_keeps_the_newest_backups(stack: Stack, key_file: Path, tmp_path: Path) -> None:
    directory = tmp_path / "backups"
    directory.mkdir()
    for day in range(1, 6):  # older nightly backups, as earlier runs left them
        (directory / f"eccs-backup-202601{day:02d}T030000Z.tar").write_bytes(b"old")
    (directory / "notes.txt").write_text("not a backup")

    backed_up = stack.eccs(
        "backup",
        "--to",
        str(directory),
        "--key-file",
        str(key_file),
        "--keep-daily",
        "3",
        "--keep-weekly",
        "0",
    )

    assert backed_up.returncode == 0, backed_up.stderr
    left = sorted(path.name for path in directory.iterdir())
    assert left == [
        "eccs-backup-20260104T030000Z.tar",
        "eccs-backup-20260105T030000Z.tar",
        Path(backed_up.stdout.strip()).name,
        "notes.txt",
    ]


# --- under write load -------------------------------------------------------------------------


class Sender(threading.Thread):
    """Sends emails through the API, one after another, until told to stop."""

    def __init__(self, account: Account) -> None:
        super().__init__(daemon=True)
        self.account = account
        self.stopping = threading.Event()
        self.accepted = 0

    def run(self) -> None:
        with httpx.Client(
            base_url=self.account.mail.base_url, headers=self.account.mail.headers, timeout=10
        ) as client:
            while not self.stopping.is_set():
                response = client.post(
                    "/api/emails/send",
                    json={
                        "to": ["a@example.test", "b@example.test"],
                        "cc": ["c@example.test"],
                        "subject": "Under load",
                        "text": "x",
                        "attachments": [
                            {
                                "filename": "a.txt",
                                "content_type": "text/plain",
                                "content_base64": base64.b64encode(b"attached").decode(),
                            }
                        ],
                    },
                )
                assert response.status_code == 202, response.text
                self.accepted += 1


def emails_count(database: Database) -> int:
    return int(database.query("SELECT count(*) AS n FROM emails")[0]["n"])


def test_a_backup_under_write_load_restores_a_consistent_database(
    stack: Stack,
    register: Callable[..., Account],
    key_file: Path,
    tmp_path: Path,
    postgres_server: PostgresServer,
) -> None:
    senders = [Sender(register(name=f"Busy {n}")) for n in range(3)]
    for sender in senders:
        sender.start()
    while sum(sender.accepted for sender in senders) < 30:
        time.sleep(0.05)
    at_start = emails_count(stack.database)
    backed_up = stack.eccs("backup", "--to", str(tmp_path / "backups"), "--key-file", str(key_file))
    at_end = emails_count(stack.database)
    time.sleep(0.5)
    for sender in senders:
        sender.stopping.set()
        sender.join(15)

    assert backed_up.returncode == 0, backed_up.stderr
    copy = new_database(postgres_server, f"restored_{uuid.uuid4().hex[:8]}")
    restored = stack.eccs(
        "restore",
        backed_up.stdout.strip(),
        "--key-file",
        str(key_file),
        "--yes",
        env={"DATABASE_URL": copy.url, "MONGODB_URL": f"{stack.mongodb_url}_copy"},
    )
    assert restored.returncode == 0, restored.stderr

    in_copy = emails_count(copy)
    print(f"emails: {at_start} when the backup started, {in_copy} in it, {at_end} when it ended")
    assert at_start <= in_copy <= at_end
    # Every email of the snapshot came with all its recipients, attachments and delivery
    # request, or not at all: each send wrote them in one transaction.
    torn = copy.query(
        "SELECT e.id FROM emails e WHERE e.subject = 'Under load' AND ("
        " (SELECT count(*) FROM email_recipients r WHERE r.email_id = e.id) <> 3"
        " OR (SELECT count(*) FROM email_attachments a WHERE a.email_id = e.id) <> 1"
        " OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.email_id = e.id))"
    )
    assert torn == []
    assert in_copy == len(copy.query("SELECT DISTINCT email_id FROM email_recipients"))
