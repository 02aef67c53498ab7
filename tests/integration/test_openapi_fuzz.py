"""Property-based requests generated from each service's OpenAPI document (schemathesis).

Whatever the generated input, a service must never answer 5xx, and every answer must be one the
document declares, in the declared shape. Random text alone almost never holds the characters
that broke services before (NUL, lone surrogates, Unicode line separators), so hooks put one of
them into a string of about half the generated bodies and query strings. Query strings carry no
lone surrogates: a URL is UTF-8 and cannot hold one (the server reads such bytes as U+FFFD).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.conftest import Account

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


# Line breaks str.splitlines() knows beyond \n and \r, a control character, NUL.
IN_ANY_TEXT = ["\x00", "\u2028", "\u2029", "\x85", "\x0b", "\x1c", "\x1b"]
ONLY_IN_JSON = ["\ud800", "\udfff"]  # lone surrogates: valid JSON escapes, not Unicode


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], text: str) -> Any:
    if not path:
        return text
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(value[head], tuple(rest), text)
    return copy


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def _with_odd_character(draw: st.DrawFn, value: Any, characters: list[str]) -> Any:
    """`value`, or `value` with one odd character inserted into one of its strings."""
    paths = list(_string_paths(value))
    if not paths or not draw(st.booleans()):
        return value
    path = draw(st.sampled_from(paths))
    text = _at(value, path)
    where = draw(st.integers(0, len(text)))
    character = draw(st.sampled_from(characters))
    return _replaced(value, path, text[:where] + character + text[where:])


def _schema_of(url: str, account: Account) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    schema.config.headers = {"Authorization": f"Bearer {account.access_token}"}

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
        return _with_odd_character(body, IN_ANY_TEXT + ONLY_IN_JSON)

    @schema.hook
    def flatmap_query(context: Any, query: Any) -> st.SearchStrategy[Any]:
        return _with_odd_character(query, IN_ANY_TEXT)

    return schema


@pytest.fixture
def email_schema(email_url: str, register: Callable[..., Account]) -> schemathesis.BaseSchema:
    return _schema_of(email_url, register())


@pytest.fixture
def auth_schema(auth_url: str, register: Callable[..., Account]) -> schemathesis.BaseSchema:
    return _schema_of(auth_url, register())


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
]

email_api = schemathesis.pytest.from_fixture("email_schema")
auth_api = schemathesis.pytest.from_fixture("auth_schema")


@email_api.parametrize()
@FUZZ
def test_email_service_never_fails_on_generated_input(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@auth_api.parametrize()
@FUZZ
def test_auth_service_never_fails_on_generated_input(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
