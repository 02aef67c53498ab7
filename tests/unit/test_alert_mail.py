"""The alert relay turns Alertmanager's notifications into emails an operator can act on, and
takes them only from Alertmanager."""

from __future__ import annotations

import httpx

from eccs.alerting.mailer import Notification, subject_of, text_of
from eccs.alerting.settings import AlertRelaySettings
from eccs.platform.settings import load
from eccs.services.alert_relay import build

FIRING = {
    "version": "4",
    "status": "firing",
    "groupKey": '{}:{alertname="EccsOutboxBehind"}',
    "commonLabels": {"alertname": "EccsOutboxBehind", "severity": "page"},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "EccsOutboxBehind", "severity": "page"},
            "annotations": {
                "summary": "The oldest due outbox row has waited 2m 0s",
                "runbook": "Check email-service's /ready (outbox_relay) and Kafka.",
            },
            "startsAt": "2026-12-07T05:00:00Z",
        }
    ],
}


def test_a_firing_notification_says_what_how_many_and_what_to_do() -> None:
    notification = Notification.model_validate(FIRING)
    assert subject_of(notification) == "[ECCS FIRING (1)] EccsOutboxBehind"
    text = text_of(notification)
    assert "FIRING: The oldest due outbox row has waited 2m 0s" in text
    assert "what to do: Check email-service's /ready (outbox_relay) and Kafka." in text
    assert "http://alertmanager:9093" in text


def test_a_resolved_notification_says_so() -> None:
    resolved = {**FIRING, "status": "resolved"}
    resolved["alerts"] = [{**FIRING["alerts"][0], "status": "resolved"}]  # type: ignore[index]
    assert subject_of(Notification.model_validate(resolved)).startswith("[ECCS RESOLVED]")


async def test_only_alertmanager_with_its_token_is_heard() -> None:
    settings = {
        "ALERT_RELAY_TOKEN": "a-token-only-alertmanager-has",
        "ALERT_ACCOUNT_PASSWORD": "the alert account's password",
        "ALERT_RECIPIENTS": "ops@example.test",
    }
    app = build(load(AlertRelaySettings, settings)).app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
        anonymous = await client.post("/alertmanager", json=FIRING)
        forged = await client.post(
            "/alertmanager", json=FIRING, headers={"authorization": "Bearer guessed"}
        )
    assert anonymous.status_code == 401
    assert forged.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
