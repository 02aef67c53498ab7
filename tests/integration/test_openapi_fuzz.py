"""Property-based requests generated from each service's OpenAPI document (schemathesis).

Whatever the generated input, a service must never answer 5xx, and every answer must be one the
document declares, in the declared shape.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
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


def _schema_of(url: str, account: Account) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    schema.config.headers = {"Authorization": f"Bearer {account.access_token}"}
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
