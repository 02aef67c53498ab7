"""What the owner of an endpoint disabled for failing is told."""

from __future__ import annotations

from eccs.webhooks.queue import Notice


def notice_text(notice: Notice) -> tuple[str, str]:
    """The notice's subject and text."""
    since = notice.failing_since.strftime("%Y-%m-%d %H:%M UTC") if notice.failing_since else "?"
    text = (
        f"Your webhook endpoint {notice.url} is disabled: every request ECCS sent it since"
        f" {since} failed.\n\n"
        f"The last failure: {notice.last_error or 'an answer other than 2xx'}.\n\n"
        "Events are no longer sent to it, and those that were waiting were given up. Once the"
        " endpoint works again, enable it in ECCS (Webhooks, or PATCH /api/webhooks/"
        f'{notice.endpoint_id} with {{"enabled": true}}), and re-send the events you missed'
        " from its deliveries.\n"
    )
    return f"Webhook endpoint disabled: {notice.url}", text
