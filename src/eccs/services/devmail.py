"""Composition root of the development mail catcher on its own (`eccs serve devmail`), for a
distributed stack that is being tried out: its SMTP server on ECCS_DEV_SMTP_PORT (1025) of every
interface, for the notification workers' SMTP_HOST; its inbox at /api/dev/* on the HTTP port; its
rules from ECCS_DEV_SMTP_RULES, as in embedded mode. Run one: the inbox lives in this process and
in its data directory (ECCS_DATA_DIR/mail)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from pydantic import Field

from eccs import devmail
from eccs.platform.logging import configure_logging
from eccs.platform.settings import Fragment, LogSettings, load


class DevMailServeSettings(Fragment):
    eccs_dev_smtp_host: str = "0.0.0.0"  # noqa: S104 (a container's port, published by choice)
    eccs_dev_smtp_port: int = Field(default=1025, ge=1, le=65535)


def build(environ: Mapping[str, str] | None = None) -> FastAPI:
    settings = load(DevMailServeSettings, environ)
    return devmail.build(
        environ, smtp_host=settings.eccs_dev_smtp_host, smtp_port=settings.eccs_dev_smtp_port
    )


def app_from_environment() -> FastAPI:
    """For `eccs serve devmail`."""
    configure_logging(load(LogSettings), "devmail")
    return build()
