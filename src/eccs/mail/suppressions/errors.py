from __future__ import annotations

from eccs.platform.errors import Conflict, NotFound


class SuppressionNotFound(NotFound):
    code = "suppression_not_found"
    default_message = "This address is not on your suppression list."


class AlreadySuppressed(Conflict):
    code = "already_suppressed"
    default_message = "This address is on your suppression list already."


class UnsubscribeLinkNotFound(NotFound):
    code = "unsubscribe_link_not_found"
    default_message = "This unsubscribe link is not known (it may be mistyped)."


class NotARecipient(NotFound):
    code = "recipient_not_found"
    default_message = "This address is not a recipient of that email."
