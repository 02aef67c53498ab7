"""One compose stack for the tests, brought up by `scripts/containers/stack.sh up` (what
`make stack` runs) with its own project name, free ports and data, and taken down at the end.

The stack needs podman, which scripts/containers/install.sh installs (as root). Where it cannot
be had the tests skip, saying why; in CI (CI=true) they fail instead."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.stack.stack import SCRIPTS, Stack

IN_CI = os.environ.get("CI") == "true"


def podman_missing() -> str | None:
    """Why the stack cannot run here, or None once podman and podman-compose are installed."""
    result = subprocess.run(
        [str(SCRIPTS / "install.sh")], capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode != 0:
        return f"podman could not be installed: {(result.stderr or result.stdout).strip()[-500:]}"
    return None


@pytest.fixture(scope="session")
def containers_ready() -> None:
    why = podman_missing()
    if why is not None:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


# One stack for the session: test_observability.py looks at it first, then test_stack.py
# uses it and, last, takes it down.
@pytest.fixture(scope="session")
def stack(containers_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("stack"))
    try:
        stack.script("up")
        yield stack
    finally:
        # Whatever a test left, nothing stays behind: containers, networks and data.
        if stack.containers_left():
            stack.script("down", STACK_WIPE="1")
        shutil.rmtree(stack.work_dir / "stack", ignore_errors=True)
