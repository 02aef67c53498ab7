"""A configuration that cannot work is one line naming the variable, whatever the setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from eccs.delivery.settings import SmtpSettings
from eccs.platform.settings import ConfigError, DatabaseSettings, load


def test_a_wrong_value_names_its_variable_and_never_shows_a_secret() -> None:
    with pytest.raises(ConfigError) as refused:
        load(DatabaseSettings, {"POSTGRES_PORT": "five", "POSTGRES_PASSWORD": "s3cret-pw"})

    assert str(refused.value).startswith("POSTGRES_PORT: ")
    assert "five" not in str(refused.value)
    assert "s3cret-pw" not in str(refused.value)


def test_an_address_with_a_name_says_to_drop_the_name() -> None:
    with pytest.raises(ConfigError, match=r"SMTP_FROM must be one plain address.*without a name"):
        load(SmtpSettings, {"SMTP_FROM": "ECCS <no-reply@example.com>"})


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_stops_with_one_line_however_many_workers(workers: str) -> None:
    """uvicorn builds the application in each worker process: the configuration is checked
    before, once, so a container's log shows one line rather than a traceback per worker."""
    env = {
        **os.environ,
        "SMTP_FROM": "ECCS <no-reply@example.com>",
        "DATABASE_URL": "postgresql://eccs@127.0.0.1:1/eccs",
    }
    command = [sys.executable, "-m", "eccs", "serve", "notification", "--port", "0"]
    done = subprocess.run(
        [*command, "--workers", workers], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 1
    assert "SMTP_FROM must be one plain address" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
