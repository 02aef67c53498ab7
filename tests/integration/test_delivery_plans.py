"""The worker's batch statements find their rows by key, whatever the size of the tables when
their plan was made.

A prepared statement runs on a generic plan after its fifth run. Made while the tables were
small (a new deployment, a test), a plan that reads `emails` whole to find a batch's rows costs
more with every email sent, until the statistics change: the end to end benchmark lost 0.9 ms
of database time per email to it.
"""

from __future__ import annotations

import asyncio

import pytest

from eccs.delivery.repository import _CLAIM, _RECORD
from eccs.platform.db import Database as Pool
from eccs.platform.settings import DatabaseSettings
from tests.conftest import Database

STATEMENTS = {"claim": _CLAIM, "record": _RECORD}
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
