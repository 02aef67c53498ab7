"""Account tasks for the command line (no HTTP, no tokens)."""

from __future__ import annotations

from eccs.identity.errors import EmailTaken
from eccs.identity.models import User
from eccs.identity.passwords import PasswordHasher
from eccs.identity.service import AccountService, Identity
from eccs.identity.settings import IdentitySettings
from eccs.identity.tokens import SigningKey, generate_ed25519_pem
from eccs.platform import db
from eccs.platform.addresses import check_address, check_header_safe
from eccs.platform.errors import InvalidInput
from eccs.platform.settings import DatabaseSettings, load


async def create_user(
    database: DatabaseSettings, email: str, name: str, password: str, *, admin: bool
) -> User:
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
    engine = db.create_engine(database, application_name="eccs-cli")
    try:
        async with db.session_factory(engine)() as session:
            service = AccountService(session, identity)
            user = await service.register(email, password, name, role="admin" if admin else "user")
            await session.commit()
            return user
    except EmailTaken as exc:
        raise ValueError(f"an account with {email} already exists") from exc
    except InvalidInput as exc:
        raise ValueError(f"the {exc.message}") from exc
    finally:
        await engine.dispose()
