"""What a service process loads: `eccs serve` never loads SQLAlchemy or Alembic.

Statements run through asyncpg; the table definitions exist for the migrations. Loading them
cost every service process about 28 MB, a sixth of its memory.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SERVICES = ("auth", "email", "notification", "alert_relay", "devmail")
NOT_AT_RUN_TIME = ("sqlalchemy", "alembic")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_and_the_command_line_that_starts_it_load_no_orm(service: str) -> None:
    check = (
        f"import sys, eccs.cli, eccs.services.{service}\n"
        f"print(' '.join(m for m in {NOT_AT_RUN_TIME!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []
