"""Alertmanager's notifications as emails sent through ECCS's own API.

One notification (a group of alerts, firing or resolved) is one email to the recipients, sent
as the alert account like any user's email: accepted by email-service, delivered by the
workers, retried and dead-lettered by the same rules. The account signs in with its password
and signs in again when its access token has expired.
"""

from __future__ import annotations

import hashlib

import httpx
from pydantic import BaseModel, Field

from eccs.alerting.settings import AlertRelaySettings


class Alert(BaseModel):
    status: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str = ""  # noqa: N815 (Alertmanager's field names)


class Notification(BaseModel):
    """Alertmanager's webhook body (version 4), the parts a mail needs."""

    status: str
    groupKey: str = ""  # noqa: N815
    commonLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    externalURL: str = ""  # noqa: N815
    alerts: list[Alert]


class EccsUnavailable(Exception):
    """ECCS did not accept the email; Alertmanager will send the notification again."""


def subject_of(notification: Notification) -> str:
    name = notification.commonLabels.get("alertname", "alerts")
    firing = sum(alert.status == "firing" for alert in notification.alerts)
    state = f"FIRING ({firing})" if notification.status == "firing" else "RESOLVED"
    return f"[ECCS {state}] {name}"


def text_of(notification: Notification) -> str:
    lines = []
    for alert in notification.alerts:
        labels = ", ".join(f"{key}={value}" for key, value in sorted(alert.labels.items()))
        lines += [
            f"{alert.status.upper()}: {alert.annotations.get('summary', labels)}",
            f"  since {alert.startsAt}; labels: {labels}",
        ]
        if runbook := alert.annotations.get("runbook"):
            lines.append(f"  what to do: {runbook}")
        lines.append("")
    lines.append(f"Alertmanager: {notification.externalURL}")
    return "\n".join(lines)


class AlertMailer:
    def __init__(self, settings: AlertRelaySettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self._token: str | None = None

    async def send(self, notification: Notification) -> str:
        """Send the notification's email; returns its id in ECCS."""
        body: dict[str, object] = {
            "to": self.settings.alert_recipients,
            "subject": subject_of(notification),
            "text": text_of(notification),
        }
        # The same notification sent again (Alertmanager retries) is the same email.
        key = hashlib.sha256(repr(sorted(body.items())).encode()).hexdigest()
        response = await self._post_send(body, key)
        if response.status_code == 401:  # the access token expired: sign in again
            self._token = None
            response = await self._post_send(body, key)
        if response.status_code != 202:
            raise EccsUnavailable(f"ECCS answered {response.status_code} to the send")
        return str(response.json()["id"])

    async def _post_send(self, body: dict[str, object], key: str) -> httpx.Response:
        token = self._token or await self._sign_in()
        return await self.client.post(
            f"{self.settings.eccs_api_url}/api/emails/send",
            json=body,
            headers={"authorization": f"Bearer {token}", "idempotency-key": key},
        )

    async def _sign_in(self) -> str:
        password = self.settings.alert_account_password
        assert password is not None  # required at start
        response = await self.client.post(
            f"{self.settings.auth_service_url}/api/auth/login",
            json={
                "email": self.settings.alert_account_email,
                "password": password.get_secret_value(),
            },
        )
        if response.status_code != 200:
            raise EccsUnavailable(f"the alert account could not sign in ({response.status_code})")
        self._token = str(response.json()["access_token"])
        return self._token
