"""Password rules and hashing, without a server."""

from __future__ import annotations

import pytest

from eccs.identity.passwords import MAX_BYTES, MIN_BYTES, PasswordHasher, password_problem

EMAIL = "alice.wonderland@example.test"


def test_a_long_unusual_password_is_accepted() -> None:
    assert password_problem("correct horse battery staple", EMAIL) is None


def test_ten_bytes_is_the_shortest_accepted() -> None:
    assert MIN_BYTES == 10
    assert password_problem("x7#kq9!mZp", EMAIL) is None
    assert password_problem("x7#kq9!mZ", EMAIL) == "must be at least 10 bytes long"


def test_seventy_two_bytes_is_the_longest_accepted() -> None:
    assert MAX_BYTES == 72
    assert password_problem("kq" * 36, EMAIL) is None
    assert password_problem("kq" * 36 + "z", EMAIL) == "must be at most 72 bytes (UTF-8) long"


def test_length_is_counted_in_utf8_bytes_not_characters() -> None:
    assert password_problem("é" * 35 + "ab", EMAIL) is None  # 37 characters, 72 bytes
    assert password_problem("é" * 36 + "k", EMAIL) is not None  # 37 characters, 73 bytes
    assert password_problem("日本語", EMAIL) is not None  # 9 bytes
    assert password_problem("日本語k", EMAIL) is None  # 10 bytes


@pytest.mark.parametrize(
    "password", [EMAIL, EMAIL.upper(), f"  {EMAIL} ", "alice.wonderland", "ALICE.WONDERLAND"]
)
def test_the_email_address_or_its_local_part_is_refused(password: str) -> None:
    assert password_problem(password, EMAIL) == "must not be your email address"


@pytest.mark.parametrize("password", ["k" * 10, "é" * 20, "🔑" * 12, "0" * 72])
def test_one_character_repeated_is_refused(password: str) -> None:
    assert password_problem(password, EMAIL) == "must not be one character repeated"


@pytest.mark.parametrize("password", [" " * 10, "\t" * 5 + " " * 5, "\u3000" * 4, " \n" * 6])
def test_only_spaces_is_refused(password: str) -> None:
    assert password_problem(password, EMAIL) == "must not be only spaces"


@pytest.mark.parametrize("password", ["password123", "qwertyuiop", "Password123", "1234567890"])
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    assert password_problem(password, EMAIL) == (
        "is one of the most common passwords; choose another"
    )


async def test_a_hash_verifies_its_password_and_nothing_else() -> None:
    hasher = PasswordHasher(rounds=4)
    hashed = await hasher.hash("correct horse battery staple")
    assert hashed.startswith("$2b$04$")
    assert await hasher.verify("correct horse battery staple", hashed)
    assert not await hasher.verify("correct horse battery stapl", hashed)


async def test_two_hashes_of_one_password_differ() -> None:
    hasher = PasswordHasher(rounds=4)
    assert await hasher.hash("correct horse battery staple") != await hasher.hash(
        "correct horse battery staple"
    )


async def test_an_unknown_account_never_verifies() -> None:
    assert not await PasswordHasher(rounds=4).verify("decoy-password", None)


async def test_a_password_over_72_bytes_never_verifies_even_when_its_prefix_matches() -> None:
    hasher = PasswordHasher(rounds=4)
    hashed = await hasher.hash("k" * 72)
    assert not await hasher.verify("k" * 72 + "extra", hashed)
