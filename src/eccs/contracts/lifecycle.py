"""The email lifecycle: every state an email and a recipient can be in, and the named sets of
them the code acts on. The database's constraints, the API's schemas and every SQL statement take
their states from here.

    scheduled ──(due)──► queued ──► sending ──► sent
                           ▲           │
                           │           ├──► retrying ──(due)──► queued
                           │           └──► failed ──(owner retry, operator replay)──► queued
    scheduled, retrying ──(owner)──► cancelled
    any unfinished state ──(operator abandons)──► cancelled
    any unsent state ──(expires_at passes)──► failed

A recipient is `pending` until it has a final answer: `accepted` (SMTP 2xx), `refused` (5xx, or
a message the relay cannot take at all), `suppressed` (on the sender's suppression list, so never
tried) or `abandoned` (attempts used up or expired; a retry or a replay makes it `pending` again).
Refusals and suppressions are final.

Beside the lifecycle: why an address is on a sender's suppression list, the events a sender's
webhook endpoints can receive, the states of one event's delivery to one endpoint, and why an
endpoint is disabled.
"""

from __future__ import annotations

from enum import StrEnum


class EmailStatus(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RecipientStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    ABANDONED = "abandoned"
    SUPPRESSED = "suppressed"


class FailureReason(StrEnum):
    """Why a `failed` email failed (its dead-letter record's reason)."""

    REFUSED = "refused"  # every recipient without an acceptance refused it (SMTP 5xx)
    EXHAUSTED = "exhausted"  # its attempt budget was used up by temporary failures
    EXPIRED = "expired"  # its expires_at passed before it could be delivered
    INVALID = "invalid"  # no message could be made of it, or its request made no sense
    SUPPRESSED = "suppressed"  # every recipient left to try is on the sender's suppression list


class RecipientKind(StrEnum):
    TO = "to"
    CC = "cc"
    BCC = "bcc"


class SuppressionReason(StrEnum):
    """Why an address is on a sender's suppression list (later sends to it are not attempted)."""

    REFUSED = "refused"  # an SMTP server refused the mailbox for good (5xx about the address)
    COMPLAINT = "complaint"  # its owner reported an email as spam (through the API)
    UNSUBSCRIBED = "unsubscribed"  # its owner used the email's one-click unsubscribe link
    MANUAL = "manual"  # the sender (or an operator) put it there


class EventType(StrEnum):
    """What a sender's webhook endpoints are told about; each event names one recipient."""

    SENT = "email.sent"  # an SMTP server accepted the email for this recipient
    DEFERRED = "email.deferred"  # a temporary failure; another attempt is scheduled
    FAILED = "email.failed"  # no more attempts: refused, attempts exhausted, expired, invalid
    SUPPRESSED = "email.suppressed"  # not attempted: the address is on the suppression list
    UNSUBSCRIBED = "email.unsubscribed"  # the recipient used the one-click unsubscribe link
    COMPLAINED = "email.complained"  # the recipient reported the email as spam
    TEST = "webhook.test"  # sent on the owner's request to one endpoint, to try it out


# What an endpoint can subscribe to (a test event goes to the endpoint it was asked for).
SUBSCRIBABLE_EVENTS = frozenset(EventType) - {EventType.TEST}


class WebhookDeliveryStatus(StrEnum):
    """One event's delivery to one endpoint."""

    PENDING = "pending"  # due at its next attempt time (or being attempted right now)
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # given up: retried for the whole retry window, or the endpoint disabled


# Why a webhook endpoint is disabled: its owner said so, or it kept failing (the owner is told).
DISABLED_BY_OWNER = "owner"
DISABLED_FAILING = "failing"


# Waiting for a delivery request to come due; the owner may still withdraw them.
CANCELLABLE = frozenset({EmailStatus.SCHEDULED, EmailStatus.RETRYING})
# A published delivery request moves these to `queued` (the relay marks them so). A send due at
# once is `queued` from the start.
BECOME_QUEUED = CANCELLABLE
# A worker may claim an attempt of these: `scheduled` and `retrying` too, since a worker can read
# the request before the relay's transaction that marks the email `queued` has committed.
CLAIMABLE = BECOME_QUEUED | {EmailStatus.QUEUED}
# A worker should be busy with these; past the visibility timeout they are requested again.
IN_FLIGHT = frozenset({EmailStatus.QUEUED, EmailStatus.SENDING})
# Nothing more happens to these by themselves.
FINAL = frozenset({EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.CANCELLED})
UNFINISHED = frozenset(EmailStatus) - FINAL
# Counted as delivered or not in the statistics.
FINISHED_DELIVERIES = frozenset({EmailStatus.SENT, EmailStatus.FAILED})


def sql_list(states: frozenset[StrEnum]) -> str:
    """States as an SQL list literal, `('queued', 'sending')`, for index predicates and
    constraints, which cannot take parameters. Statements take the sets as parameters."""
    return "(" + ", ".join(f"'{state.value}'" for state in sorted(states)) + ")"
