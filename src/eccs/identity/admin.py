"""Account tasks for the command line (no HTTP, no tokens)."""

from __future__ import annotations

from eccs.identity.errors import EmailTaken
from eccs.identity.passwords import PasswordHasher
from eccs.identity.repository import UserRow
from eccs.identity.service import AccountService, Identity
from eccs.identity.settings import IdentitySettings
from eccs.identity.tokens import SigningKey, generate_ed25519_pem
from eccs.platform.addresses import check_address, check_header_safe
from eccs.platform.db import Database
from eccs.platform.errors import InvalidInput
from eccs.platform.settings import DatabaseSettings, load


async def create_user(
    settings_of_database: DatabaseSettings, email: str, name: str, password: str, *, admin: bool
) -> UserRow:
    """Create an account with the same rules as sign-up; raises ValueError with the reason."""
    # Each value is checked on its own so the message names the one at fault (a name with a line
    # break used to be reported against the email address), and a blank name is refused as
    # sign-up refuses it.
    try:
        email = check_address(email)
    except ValueError as exc:
        raise ValueError(f"{email!r} {exc}") from exc
    try:
        name = check_header_safe(name.strip())
    except ValueError as exc:
        raise ValueError(f"the name {exc}") from exc
    if not name:
        raise ValueError("the name must not be empty")
    settings = load(IdentitySettings)
    # Creating an account signs no token, so any key will do here.
    identity = Identity(
        settings, SigningKey(generate_ed25519_pem()), PasswordHasher(settings.bcrypt_rounds)
    )
    database = Database(settings_of_database, application_name="eccs-cli")
    await database.open()
    try:
        async with database.transaction() as connection:
            service = AccountService(connection, identity)
            return await service.create(email, password, name, role="admin" if admin else "user")
    except EmailTaken as exc:
        raise ValueError(f"an account with {email} already exists") from exc
    except InvalidInput as exc:
        raise ValueError(f"the {exc.message}") from exc
    finally:
        await database.close()
