"""The whole JSON API under schemathesis (property-based): no 5xx, every answer as documented, errors in JSON.

Runs in-process against the WSGI application and the test database, once with an ordinary user's token and
once with a staff token. Work a request would hand to Celery is enqueued on commit, which never comes inside
the test's transaction, and the player is not running (plays answer 503), so nothing leaves the process.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import Case, Response
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from soundboard.wsgi import application

# Business rules refuse some schema-valid requests (random bytes are not audio, ids that don't exist, an
# empty playlist, no credits left, the player offline): documented refusals, never a 422 or an undocumented 5xx.
ACCEPTED = ["2XX", "400", "402", "403", "404", "409", "413", "423", "429", "503"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": [
            # Signing in with made-up credentials is a 401, and so is revoking the token a second time.
            {
                "include-path": "/api/v1/auth/token",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "401"]}},
            },
        ],
    }
)
# Loaded at collection (no database needed: the schema is public and documents, it holds no data).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


def no_server_error(ctx: object, response: Response, case: Case) -> None:
    """No 5xx, except the documented 503 of an operation that needs the player, which is not running here."""
    if response.status_code < 500:
        return
    detail = str(response.json().get("detail", "")) if _is_json(response) else ""
    if response.status_code == 503 and "offline" in detail.lower():
        return
    raise AssertionError(f"{case.operation.label} answered {response.status_code}: {response.text[:300]}")


def errors_are_json(ctx: object, response: Response, case: Case) -> None:
    if response.status_code >= 400:
        assert _is_json(response), f"{case.operation.label} answered {response.status_code} in {response.headers}"


def _is_json(response: Response) -> bool:
    content_type = response.headers.get("content-type") or response.headers.get("Content-Type") or [""]
    return "application/json" in (content_type[0] if isinstance(content_type, list) else content_type)


CHECKS = {"excluded_checks": [not_a_server_error], "additional_checks": [no_server_error, errors_are_json]}

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(db):
    # As Django's test client does: a finished request must not close the connection that holds the test's
    # transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _token(**user_fields: object) -> str:
    user = UserFactory.create(**user_fields)
    _, raw = ApiToken.issue(user=user, name="fuzz")
    return raw


@pytest.fixture
def user_token(db) -> str:
    return _token()


@pytest.fixture
def staff_token(db) -> str:
    return _token(is_staff=True)


@schema.parametrize()
@FUZZ
def test_the_api_keeps_its_contract_for_a_user(case, user_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {user_token}"}, **CHECKS)


@schema.parametrize()
@FUZZ
def test_the_api_keeps_its_contract_for_staff(case, staff_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {staff_token}"}, **CHECKS)
