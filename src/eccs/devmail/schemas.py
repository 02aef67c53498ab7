"""The mail catcher's HTTP shapes. Addresses are the SMTP envelope's: `to` lists every recipient
the catcher accepted, Bcc included, which the message headers never show."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from eccs.devmail.store import CaughtMessage, MessageContent


class InboxItem(BaseModel):
    id: str
    sender: str = Field(serialization_alias="from", description="The envelope sender")
    to: list[str] = Field(description="The envelope recipients the catcher accepted")
    subject: str
    message_id: str = Field(description="The Message-ID header, '' when the message has none")
    received_at: datetime
    size: int = Field(description="Bytes, as received")

    @classmethod
    def of(cls, message: CaughtMessage) -> InboxItem:
        return cls(
            id=message.id,
            sender=message.sender,
            to=list(message.recipients),
            subject=message.subject,
            message_id=message.message_id,
            received_at=message.received_at,
            size=message.size,
        )


class InboxPage(BaseModel):
    items: list[InboxItem]
    total: int
    page: int
    page_size: int


class EnvelopeOut(BaseModel):
    sender: str = Field(serialization_alias="from")
    to: list[str]


class HeaderOut(BaseModel):
    name: str
    value: str


class AttachmentOut(BaseModel):
    index: int = Field(description="Its number in GET /api/dev/inbox/{id}/attachments/{index}")
    filename: str
    content_type: str
    size: int = Field(description="Bytes, decoded")


class MessageDetail(BaseModel):
    id: str
    subject: str
    message_id: str
    received_at: datetime
    size: int
    envelope: EnvelopeOut
    headers: list[HeaderOut] = Field(description="Every header in order, encoded words decoded")
    text: str | None = Field(description="The text/plain body, if any")
    html: str | None = Field(description="The text/html body, if any; show it only sandboxed")
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, message: CaughtMessage, content: MessageContent) -> MessageDetail:
        return cls(
            id=message.id,
            subject=message.subject,
            message_id=message.message_id,
            received_at=message.received_at,
            size=message.size,
            envelope=EnvelopeOut(sender=message.sender, to=list(message.recipients)),
            headers=[HeaderOut(name=name, value=value) for name, value in content.headers],
            text=content.text,
            html=content.html,
            attachments=[
                AttachmentOut(
                    index=a.index, filename=a.filename, content_type=a.content_type, size=a.size
                )
                for a in content.attachments
            ],
        )
