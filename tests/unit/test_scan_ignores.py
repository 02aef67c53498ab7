"""An ignored vulnerability must say why and until when (make ci-check enforces it)."""

from __future__ import annotations

from datetime import date

import yaml

from scripts.checks.scan_ignores import IGNORE_FILE, problems


def test_the_committed_ignore_file_passes() -> None:
    assert problems(yaml.safe_load(IGNORE_FILE.read_text()) or {}) == []


def test_an_entry_with_its_reason_and_date_passes() -> None:
    entry = {"id": "CVE-2026-1", "statement": "never called", "expired_at": date(2027, 1, 1)}
    assert problems({"vulnerabilities": [entry]}) == []


def test_an_entry_without_a_reason_or_a_date_is_named() -> None:
    found = problems({"vulnerabilities": [{"id": "CVE-2026-2", "statement": "  "}]})
    assert found == [
        "vulnerabilities #1 (CVE-2026-2): no statement saying why it is ignored",
        "vulnerabilities #1 (CVE-2026-2): no expired_at date (YYYY-MM-DD) to look at it again",
    ]
