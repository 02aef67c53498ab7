"""The worker's batch statements, and the foreign-key checks of what a send writes, find their
rows by key, whatever the size of the tables when their plan was made.

A prepared statement runs on a generic plan after its fifth run. Made while the tables were
small (a new deployment, a test), a plan that reads `emails` whole to find a batch's rows costs
more with every email sent, until the statistics change: the end to end benchmark lost 0.9 ms
of database time per email to it.
"""

from __future__ import annotations

import asyncio

import pytest

from eccs.delivery.repository import _CLAIM, _RECORD
from eccs.platform import migrations
from eccs.platform.db import Database as Pool
from eccs.platform.settings import DatabaseSettings
from tests.conftest import Database
from tests.servers import postgres

STATEMENTS = {"claim": _CLAIM, "record": _RECORD}
NEW_DEPLOYMENT = "eccs_plans"
TABLES = ("emails", "email_recipients")
# How a batch's rows may be found: by their ids, or a claimed email's recipients by its id.
KEYS = ("pk_emails", "pk_email_recipients", "ix_email_recipients_email")


def _generic_plan(url: str, by_key: bool, sql: str) -> str:
    async def explain() -> str:
        pool = Pool(DatabaseSettings(database_url=url), application_name="test", by_key=by_key)
        await pool.open()
        try:
            async with pool.transaction() as connection:
                await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                await connection.execute(f"PREPARE batch AS {sql}")
                parameters = await connection.fetchval(
                    "SELECT cardinality(parameter_types) FROM pg_prepared_statements"
                    " WHERE name = 'batch'"
                )
                nulls = ", ".join(["NULL"] * parameters)
                rows = await connection.fetch(f"EXPLAIN EXECUTE batch({nulls})")
                await connection.execute("DEALLOCATE batch")
                return "\n".join(row[0] for row in rows)
        finally:
            await pool.close()

    return asyncio.run(explain())


@pytest.mark.parametrize("statement", sorted(STATEMENTS))
def test_the_workers_statements_look_rows_up_by_key_on_small_tables(
    database: Database, statement: str
) -> None:
    plan = _generic_plan(database.url, True, STATEMENTS[statement])
    scans = [line.strip() for line in plan.splitlines() if "Scan" in line]
    on_tables = [scan for scan in scans if any(f" on {table} " in scan for table in TABLES)]
    assert on_tables, plan
    for scan in on_tables:
        by_key = any(f" using {key} on " in scan for key in KEYS)
        assert by_key or scan.startswith("->  Bitmap Heap Scan"), plan
    for scan in scans:
        if "Bitmap Index Scan" in scan:
            assert any(f" on {key} " in scan for key in KEYS), plan


# What PostgreSQL runs, in its own words, to check each recipient row a send writes against its
# email (email_recipients' foreign key): it prepares it once per connection, like a statement.
RECIPIENTS_EMAIL_CHECK = (
    'SELECT 1 FROM ONLY "public"."emails" x WHERE "id" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x'
)


@pytest.fixture(scope="module")
def new_deployment(postgres_server: postgres.PostgresServer) -> str:
    """A migrated database with a few emails (the first accounts' own), its statistics taken,
    as a new deployment starts."""
    Database(postgres_server.url()).query(f"CREATE DATABASE {NEW_DEPLOYMENT}")
    url = postgres_server.url(NEW_DEPLOYMENT)
    migrations.upgrade(url.replace("postgresql://", "postgresql+asyncpg://"))
    Database(url).query(
        "INSERT INTO emails (id, user_id, sender_name, sender_email, subject, status,"
        " created_at, updated_at)"
        " SELECT gen_random_uuid(), gen_random_uuid(), 'ECCS', 'no-reply@example.test', 'Hi',"
        " 'queued', now(), now() FROM generate_series(1, 64)"
    )
    Database(url).query("ANALYZE emails")
    return url


def test_the_check_of_each_recipients_email_finds_it_by_key_on_email_services_pool(
    new_deployment: str,
) -> None:
    # Planned on the empty table as it comes, the check reads the table whole; every recipient
    # written then cost a read of all emails (0.9 ms a send at 10,000). email-service's pool is
    # by key.
    assert "Seq Scan on emails x" in _generic_plan(new_deployment, False, RECIPIENTS_EMAIL_CHECK)

    plan = _generic_plan(new_deployment, True, RECIPIENTS_EMAIL_CHECK)

    assert "Index Scan using pk_emails on emails x" in plan, plan
