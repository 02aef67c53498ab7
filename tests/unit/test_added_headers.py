"""The headers a sender may add, and the one-click unsubscribe headers ECCS adds."""

from __future__ import annotations

import pytest

from eccs.mail.emails.headers import headers_of
from eccs.platform.errors import InvalidInput

PUBLIC = "https://mail.example.com"


def refusal(call: object) -> tuple[str, str]:
    assert isinstance(call, InvalidInput)
    return call.fields[0].field, call.fields[0].message


def test_x_and_list_headers_are_added_in_the_order_given() -> None:
    headers = headers_of({"X-Campaign": "spring", "List-Id": "<news.example.com>"}, False, 3, None)

    assert headers.added == [("X-Campaign", "spring"), ("List-Id", "<news.example.com>")]
    assert headers.unsubscribe_token is None


@pytest.mark.parametrize(
    "name", ["Reply-To", "From", "Bcc", "Subject", "X-", "X-A B", "X-Bad:Name", "Content-Type"]
)
def test_any_other_header_is_refused_naming_it(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        headers_of({name: "v"}, False, 1, None)

    field, message = refusal(refused.value)
    assert field == f"headers.{name}" and "only X-* and List-*" in message


def test_a_header_given_twice_in_another_letter_case_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        headers_of({"X-Tag": "a", "x-tag": "b"}, False, 1, None)

    assert refusal(refused.value) == ("headers.x-tag", "is given twice (names ignore letter case)")


def test_one_click_unsubscribe_adds_both_headers_with_a_link_of_its_own() -> None:
    first = headers_of({"X-Campaign": "spring"}, True, 1, PUBLIC)
    second = headers_of({}, True, 1, PUBLIC)

    name, link = first.added[1]
    assert name == "List-Unsubscribe"
    assert link == f"<{PUBLIC}/api/unsubscribe/{first.unsubscribe_token}>"
    assert first.added[2] == ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    assert first.unsubscribe_token and len(first.unsubscribe_token) >= 40
    assert first.unsubscribe_token != second.unsubscribe_token


@pytest.mark.parametrize(
    ("headers", "recipients", "public", "field"),
    [
        ({}, 2, PUBLIC, "list_unsubscribe"),
        (
            {"List-Unsubscribe": "<https://mine.example.com/u>"},
            1,
            PUBLIC,
            "headers.List-Unsubscribe",
        ),
        ({}, 1, None, "list_unsubscribe"),
    ],
)
def test_one_click_unsubscribe_needs_one_recipient_its_own_headers_and_a_public_address(
    headers: dict[str, str], recipients: int, public: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        headers_of(headers, True, recipients, public)

    assert refusal(refused.value)[0] == field
