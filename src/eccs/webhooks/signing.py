"""Signing secrets and signed requests, as the Standard Webhooks specification has them.

Each endpoint has its own secret, `whsec_` and 32 random bytes in base64, shown to its owner
once. A request carries `webhook-id` (the event's id, the same on every retry),
`webhook-timestamp` (Unix seconds, so a receiver can refuse old or replayed requests) and
`webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, computed by
the `standardwebhooks` package; during a secret's rotation, one signature per secret, space
separated, and a receiver accepts any that matches.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"
KEY_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def signed_headers(
    event_id: str, body: bytes, signing_secrets: Sequence[str], at: datetime
) -> dict[str, str]:
    signatures = " ".join(Webhook(secret).sign(event_id, at, body) for secret in signing_secrets)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
