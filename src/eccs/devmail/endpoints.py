"""The mail catcher's inbox over HTTP: /api/dev/*. Embedded mode only, so no token is asked for.

The inbox is the one `DevMailCatcher.install` put on the application's state.
"""

from __future__ import annotations

from typing import Annotated, Any, cast
from urllib.parse import quote

from fastapi import Depends, Query, Request, Response

from eccs.devmail.schemas import InboxItem, InboxPage, MessageDetail
from eccs.devmail.store import Inbox
from eccs.platform.http import api_router, errors

router = api_router("/api/dev", "development mail catcher")

# Caught content is whatever a sender wrote: sandboxed, never a page that runs (and, like every
# answer, nosniff: see platform/http.py).
_UNTRUSTED = {"Content-Security-Policy": "sandbox"}


async def _inbox(request: Request) -> Inbox:
    return cast(Inbox, request.app.state.devmail_inbox)


CurrentInbox = Annotated[Inbox, Depends(_inbox)]


@router.get(
    "/inbox", response_model=InboxPage, responses=errors(422), summary="List caught messages"
)
async def list_messages(
    inbox: CurrentInbox,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    q: Annotated[
        str | None,
        Query(max_length=320, description="Text in sender, recipients, subject or Message-ID"),
    ] = None,
) -> Any:
    messages, total = inbox.page(page, page_size, q)
    items = [InboxItem.of(message) for message in messages]
    return InboxPage(items=items, total=total, page=page, page_size=page_size)


@router.delete("/inbox", status_code=204, summary="Delete every caught message")
async def delete_messages(inbox: CurrentInbox) -> Response:
    await inbox.clear()
    return Response(status_code=204)


@router.get(
    "/inbox/{message_id}",
    response_model=MessageDetail,
    responses=errors(404),
    summary="One message: envelope, headers, bodies and attachments",
)
async def read_message(message_id: str, inbox: CurrentInbox) -> Any:
    message = inbox.get(message_id)
    return MessageDetail.of(message, await inbox.content(message_id))


@router.get(
    "/inbox/{message_id}/raw",
    response_class=Response,
    responses={200: {"content": {"message/rfc822": {}}}, **errors(404)},
    summary="The message exactly as it was received",
)
async def read_raw_message(message_id: str, inbox: CurrentInbox) -> Response:
    raw = await inbox.raw(message_id)
    return Response(raw, media_type="message/rfc822", headers=_UNTRUSTED)


@router.get(
    "/inbox/{message_id}/attachments/{index}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **errors(404, 422)},
    summary="Download one attachment, numbered from 0 as the message lists them",
)
async def read_attachment(message_id: str, index: int, inbox: CurrentInbox) -> Response:
    attachment = await inbox.attachment(message_id, index)
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.info.filename, safe='')}"
    return Response(
        attachment.content,
        media_type=attachment.info.content_type,
        headers={**_UNTRUSTED, "Content-Disposition": disposition},
    )
