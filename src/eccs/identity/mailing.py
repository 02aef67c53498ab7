"""The words of the emails ECCS sends about accounts, and their links; they are written into the
delivery pipeline by contracts/account_mail.py, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import structlog

from eccs.contracts.account_mail import AccountEmail, queue_account_email
from eccs.identity.tokens import Secret
from eccs.platform.db import Connection
from eccs.platform.metrics import ACCOUNT_EMAILS
from eccs.platform.telemetry import current_traceparent

log = structlog.get_logger("eccs.identity")

# The web app's pages the links open (frontend/src/router.tsx).
VERIFY_PAGE = "/verify-email"
RESET_PAGE = "/reset-password"
SIGN_IN_PAGE = "/sign-in"
FORGOT_PAGE = "/forgot-password"


class AccountMail:
    def __init__(self, connection: Connection, public_url: str) -> None:
        self.connection = connection
        self.public_url = public_url

    async def verification(
        self, to: str, name: str, token: Secret, expires_at: datetime, hours: int, now: datetime
    ) -> None:
        link = self._link(VERIFY_PAGE, token)
        text = (
            f"Hello {name},\n\n"
            f"Confirm that {to} is your address by opening this link:\n\n{link}\n\n"
            f"The link works once, for {hours} hours. Until the address is confirmed, your "
            "account can sign in but cannot send email.\n\n"
            "If you did not sign up for ECCS, ignore this email: the account stays unconfirmed "
            "and cannot send anything.\n"
        )
        subject = "Confirm your email address for ECCS"
        await self._queue("verification", AccountEmail(to, subject, text, expires_at), now)

    async def already_registered(self, to: str, expires_at: datetime, now: datetime) -> None:
        text = (
            "Hello,\n\n"
            f"Someone, perhaps you, tried to create an ECCS account with {to}, which has one "
            "already. Nothing was changed.\n\n"
            f"If it was you, sign in at {self.public_url}{SIGN_IN_PAGE}, or choose a new "
            f"password at {self.public_url}{FORGOT_PAGE} if you have forgotten yours.\n\n"
            "If it was not you, there is nothing to do: your account is as it was.\n"
        )
        subject = "Someone tried to sign up with your address"
        await self._queue("already_registered", AccountEmail(to, subject, text, expires_at), now)

    async def password_reset(
        self, to: str, name: str, token: Secret, expires_at: datetime, minutes: int, now: datetime
    ) -> None:
        link = self._link(RESET_PAGE, token)
        text = (
            f"Hello {name},\n\n"
            f"Someone, perhaps you, asked to reset the password of the ECCS account {to}. "
            f"Choose a new password here:\n\n{link}\n\n"
            f"The link works once, for {minutes} minutes. A new password signs you out "
            "everywhere.\n\n"
            "If you did not ask for this, ignore this email: your password stays as it is.\n"
        )
        subject = "Reset your ECCS password"
        await self._queue("password_reset", AccountEmail(to, subject, text, expires_at), now)

    def _link(self, page: str, token: Secret) -> str:
        return f"{self.public_url}{page}?{urlencode({'token': str(token)})}"

    async def _queue(self, kind: str, email: AccountEmail, now: datetime) -> None:
        email_id = await queue_account_email(self.connection, email, now, current_traceparent())
        ACCOUNT_EMAILS.labels(kind, "queued").inc()
        # The id, never the address: operators find the email at /api/admin/account-emails.
        log.info("account_email_queued", kind=kind, email_id=str(email_id))
