"""Audit events and audit settings, without a server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from eccs.audit import AuditEvent, AuditSettings
from eccs.audit.events import purge_cutoff
from eccs.platform.settings import ConfigError, load

EMAIL_ID = uuid.UUID("0b7c3f5e-6d1a-4f0e-9a51-3c2d8e7f6a10")


def test_an_event_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        AuditEvent(EMAIL_ID, 1, "started", datetime(2026, 3, 1, 9, 30))
    with pytest.raises(ValueError, match="timezone-aware"):
        purge_cutoff(datetime(2026, 3, 1, 9, 30))


def test_event_times_are_kept_in_utc_to_the_millisecond() -> None:
    in_new_york = datetime(2026, 3, 1, 4, 30, 0, 987654, tzinfo=timezone(timedelta(hours=-5)))

    at = AuditEvent(EMAIL_ID, 1, "started", in_new_york).at

    assert at == datetime(2026, 3, 1, 9, 30, 0, 987000, tzinfo=UTC)
    assert at.utcoffset() == timedelta(0)


def test_nul_characters_in_text_become_replacement_characters() -> None:
    event = AuditEvent(
        EMAIL_ID,
        2,
        "refused",
        datetime(2026, 3, 1, tzinfo=UTC),
        recipient="a\x00@example.test",
        smtp_reply="550 no\x00such\x00user",
        detail=None,
    )

    assert event.smtp_reply == "550 no\ufffdsuch\ufffduser"
    assert event.recipient == "a\ufffd@example.test"
    assert event.detail is None


def test_without_mongodb_url_the_audit_trail_stays_in_postgresql() -> None:
    settings = load(AuditSettings, {})

    assert settings.mongodb_url is None
    assert settings.retention == timedelta(days=90)


def test_a_blank_mongodb_url_means_none() -> None:
    assert load(AuditSettings, {"MONGODB_URL": "  "}).mongodb_url is None


def test_mongodb_url_can_come_from_a_mounted_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "mongodb_url"
    secret.write_text("mongodb://audit:s3cr3t-pass@mongo:27017/audit\n")

    settings = load(AuditSettings, {"MONGODB_URL_FILE": str(secret)})

    assert settings.mongodb_url is not None
    assert (
        settings.mongodb_url.get_secret_value() == "mongodb://audit:s3cr3t-pass@mongo:27017/audit"
    )
    assert "s3cr3t-pass" not in repr(settings)


def test_retention_is_read_in_days_and_must_be_at_least_one() -> None:
    assert load(AuditSettings, {"AUDIT_RETENTION_DAYS": "7"}).retention == timedelta(days=7)
    with pytest.raises(ConfigError, match="AUDIT_RETENTION_DAYS"):
        load(AuditSettings, {"AUDIT_RETENTION_DAYS": "0"})
