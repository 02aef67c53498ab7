"""Caught messages on disk: a Maildir of raw messages and one small JSON envelope per message.

    <directory>/maildir/{new,cur,tmp}   each message exactly as it arrived; any mail reader opens
                                         it (`mutt -f <directory>/maildir`)
    <directory>/envelopes/<id>.json      what the message cannot tell about itself: the SMTP
                                         envelope (Bcc recipients included), arrival time, size

Everything survives a restart. The envelopes are also kept in memory, so listing and searching
never touch the disk; reading a message and every write run in a worker thread, so the event
loop is not held up by the disk. The inbox keeps the latest `capacity` messages within
`max_bytes` and drops the oldest beyond either, so a runaway sender cannot fill the disk.
"""

from __future__ import annotations

import asyncio
import json
import mailbox
import os
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from eccs.platform.errors import NotFound

DEFAULT_CAPACITY = 5_000
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


class MessageNotFound(NotFound):
    code = "message_not_found"
    default_message = "The mail catcher has no message with this id."


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    default_message = "This message has no attachment with this number."


@dataclass(frozen=True)
class CaughtMessage:
    """One caught message as the inbox lists it."""

    id: str
    sender: str  # the envelope sender (MAIL FROM)
    recipients: tuple[str, ...]  # the accepted envelope recipients (RCPT TO), Bcc included
    subject: str
    message_id: str
    received_at: datetime
    size: int
    key: str = field(default="", repr=False)  # the file's key in the Maildir

    def matches(self, query: str) -> bool:
        """Case-insensitive search in sender, recipients, subject and Message-ID."""
        needle = query.casefold()
        haystack = (self.sender, *self.recipients, self.subject, self.message_id, self.id)
        return any(needle in text.casefold() for text in haystack)


@dataclass(frozen=True)
class AttachmentInfo:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Attachment:
    info: AttachmentInfo
    content: bytes


@dataclass(frozen=True)
class MessageContent:
    """What a reader of the message sees: its headers, bodies and attachments."""

    headers: tuple[tuple[str, str], ...]
    text: str | None
    html: str | None
    attachments: tuple[AttachmentInfo, ...]


class Inbox:
    def __init__(
        self,
        directory: Path,
        *,
        capacity: int = DEFAULT_CAPACITY,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.directory = directory
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._files: _Files | None = None  # opened by load()
        self._index: dict[str, CaughtMessage] = {}  # oldest first
        self._bytes = 0
        self._writing = asyncio.Lock()  # one add, eviction or clear at a time

    def __len__(self) -> int:
        return len(self._index)

    async def load(self) -> None:
        """Open the directory (creating it if need be) and read the envelopes kept there."""
        self._files = await asyncio.to_thread(_Files, self.directory)
        messages = await asyncio.to_thread(self._files.load)
        self._index = {message.id: message for message in messages}
        self._bytes = sum(message.size for message in messages)

    async def add(self, sender: str, recipients: Sequence[str], raw: bytes) -> CaughtMessage:
        async with self._writing:
            message = await asyncio.to_thread(self._opened().write, sender, tuple(recipients), raw)
            self._index[message.id] = message
            self._bytes += message.size
            await self._evict()
        return message

    def page(
        self, page: int, page_size: int, query: str | None = None
    ) -> tuple[list[CaughtMessage], int]:
        """One page of messages, newest first, and how many match in all."""
        newest_first = reversed(self._index.values())
        matching = [m for m in newest_first if m.matches(query)] if query else list(newest_first)
        start = (page - 1) * page_size
        return matching[start : start + page_size], len(matching)

    def get(self, message_id: str) -> CaughtMessage:
        try:
            return self._index[message_id]
        except KeyError:
            raise MessageNotFound() from None

    async def raw(self, message_id: str) -> bytes:
        """The message exactly as it arrived."""
        key = self.get(message_id).key
        try:
            return await asyncio.to_thread(self._opened().read, key)
        except KeyError:  # deleted while we looked
            raise MessageNotFound() from None

    async def content(self, message_id: str) -> MessageContent:
        # Parsing a message of several megabytes takes a while: off the event loop too.
        return await asyncio.to_thread(read_content, await self.raw(message_id))

    async def attachment(self, message_id: str, index: int) -> Attachment:
        found = await asyncio.to_thread(read_attachment, await self.raw(message_id), index)
        if found is None:
            raise AttachmentNotFound()
        return found

    async def clear(self) -> None:
        async with self._writing:
            self._index.clear()
            self._bytes = 0
            await asyncio.to_thread(self._opened().clear)

    async def _evict(self) -> None:
        doomed = self._beyond_limits()
        for message in doomed:
            del self._index[message.id]
            self._bytes -= message.size
        if doomed:
            await asyncio.to_thread(self._opened().remove, doomed)

    def _opened(self) -> _Files:
        if self._files is None:
            raise RuntimeError("Inbox.load() must run before the inbox is used")
        return self._files

    def _beyond_limits(self) -> list[CaughtMessage]:
        """The oldest messages past the capacity or the byte budget; the newest always stays."""
        doomed: list[CaughtMessage] = []
        count, size = len(self._index), self._bytes
        for message in self._index.values():  # oldest first
            if count == 1 or (count <= self.capacity and size <= self.max_bytes):
                break
            doomed.append(message)
            count, size = count - 1, size - message.size
        return doomed


# --- reading messages ---------------------------------------------------------------------------


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def read_content(raw: bytes) -> MessageContent:
    message = _parse(raw)
    return MessageContent(
        headers=tuple((name, _decoded_header(name, value)) for name, value in message.raw_items()),
        text=_body(message, "plain"),
        html=_body(message, "html"),
        attachments=tuple(
            _attachment_info(index, part) for index, part in enumerate(_attachments(message))
        ),
    )


def read_attachment(raw: bytes, index: int) -> Attachment | None:
    """The attachment numbered `index` (from 0, as `read_content` lists them), if there is one."""
    parts = _attachments(_parse(raw))
    if not 0 <= index < len(parts):
        return None
    return Attachment(_attachment_info(index, parts[index]), _decoded(parts[index]))


def _attachments(message: EmailMessage) -> list[MIMEPart]:
    return list(message.iter_attachments())


def _decoded_header(name: str, raw_value: str) -> str:
    """The header as a reader sees it (RFC 2047 words decoded); if too broken, as it was sent."""
    try:
        return str(policy.default.header_fetch_parse(name, raw_value))
    except Exception:  # a malformed header is shown, never an error
        return raw_value


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):  # an unknown or lying charset: show what can be shown
        return _decoded(part).decode("utf-8", errors="replace")


def _attachment_info(index: int, part: MIMEPart) -> AttachmentInfo:
    return AttachmentInfo(
        index=index,
        filename=part.get_filename() or f"attachment-{index + 1}",
        content_type=part.get_content_type(),
        size=len(_decoded(part)),
    )


def _decoded(part: MIMEPart) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _summary_headers(raw: bytes) -> tuple[str, str]:
    """The Subject and Message-ID, decoded; '' for a header that is missing."""
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    found = {name.lower(): value for name, value in reversed(list(headers.raw_items()))}
    subject = _decoded_header("subject", found.get("subject", ""))
    return subject, _decoded_header("message-id", found.get("message-id", "")).strip()


# --- the files ----------------------------------------------------------------------------------


class _Files:
    """The inbox's files. Every method blocks: the inbox calls them through asyncio.to_thread."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(directory / "maildir", factory=None, create=True)
        self.envelopes = directory / "envelopes"
        self.envelopes.mkdir(exist_ok=True)
        # mailbox.Maildir keeps a table of contents that is not safe to share between threads.
        self._lock = threading.Lock()

    def write(self, sender: str, recipients: tuple[str, ...], raw: bytes) -> CaughtMessage:
        subject, message_id = _summary_headers(raw)
        with self._lock:
            key = self.maildir.add(raw)
        message = CaughtMessage(
            id=uuid.uuid4().hex,
            sender=sender,
            recipients=recipients,
            subject=subject,
            message_id=message_id,
            received_at=datetime.now(UTC),
            size=len(raw),
            key=key,
        )
        # The envelope is written last and atomically: a message without one was never listed.
        self._write_envelope(message)
        return message

    def read(self, key: str) -> bytes:
        with self._lock:
            return self.maildir.get_bytes(key)

    def remove(self, messages: Iterable[CaughtMessage]) -> None:
        for message in messages:
            self._envelope_path(message.id).unlink(missing_ok=True)
            with self._lock:
                self.maildir.discard(message.key)

    def clear(self) -> None:
        for path in self.envelopes.glob("*.json"):
            path.unlink(missing_ok=True)
        with self._lock:
            self.maildir.clear()

    def load(self) -> list[CaughtMessage]:
        """The envelopes on disk, oldest first; leftovers of an interrupted write are removed."""
        for interrupted in self.envelopes.glob("*.tmp"):
            interrupted.unlink(missing_ok=True)
        with self._lock:
            keys = set(self.maildir.keys())
        messages = [m for m in map(self._read_envelope, self.envelopes.glob("*.json")) if m]
        kept = [message for message in messages if message.key in keys]
        self.remove([message for message in messages if message.key not in keys])
        with self._lock:
            for key in keys - {message.key for message in kept}:
                self.maildir.discard(key)
        return sorted(kept, key=lambda message: (message.received_at, message.id))

    def _write_envelope(self, message: CaughtMessage) -> None:
        record = {**asdict(message), "received_at": message.received_at.isoformat()}
        path = self._envelope_path(message.id)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record))
        os.replace(temporary, path)

    def _read_envelope(self, path: Path) -> CaughtMessage | None:
        try:
            record = json.loads(path.read_text())
            record["recipients"] = tuple(record["recipients"])
            record["received_at"] = datetime.fromisoformat(record["received_at"])
            return CaughtMessage(**record)
        except (OSError, ValueError, TypeError, KeyError):  # unreadable: treat as never written
            path.unlink(missing_ok=True)
            return None

    def _envelope_path(self, message_id: str) -> Path:
        return self.envelopes / f"{message_id}.json"
