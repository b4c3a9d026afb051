"""The web process's request handler: each request's middleware and view in one thread of a pool that keeps its
database connection (edge.handler)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction, sync_to_async
from channels.testing import HttpCommunicator
from django.db import connections
from django.db.backends.signals import connection_created

from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from edge.handler import PooledASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


def _token() -> str:
    return ApiToken.issue(user=UserFactory.create(), name="handler")[1]


async def _get(handler: PooledASGIHandler, token: str) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode())]
    return await HttpCommunicator(handler, "GET", "/api/v1/rooms", headers=headers).get_response(timeout=10)


@pytest.mark.skipif(
    connections["default"].vendor != "sqlite",
    reason="PostgreSQL's connections come from the process's pool; handed out to a thread of a handler made here, "
    "one outlived the pool Django closes before dropping the test database",
)
@pytest.mark.parametrize(("max_age", "opened"), [(600, 1), (0, 5)])
async def test_requests_keep_their_threads_connection_unless_it_must_be_closed(max_age, opened, monkeypatch):
    # SQLite keeps its connection (CONN_MAX_AGE 600): one for five requests, where a thread per request opened
    # five. With CONN_MAX_AGE 0 (PostgreSQL's pool) each request hands its connection back as it ends.
    token = await sync_to_async(_token)()
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", max_age)
    handler = PooledASGIHandler(threads=1)
    created: list[object] = []

    def count(sender: object, connection: object, **kwargs: object) -> None:
        created.append(connection)

    connection_created.connect(count)
    try:
        for _ in range(5):
            answer = await _get(handler, token)
            assert answer["status"] == 200, answer["body"]
        # Between requests the thread holds its connection only if it may keep it (a pool's goes back at once).
        held = handler.executor.submit(lambda: connections["default"].connection is not None).result()
        assert held is (max_age > 0)
    finally:
        connection_created.disconnect(count)
        handler.executor.submit(connections.close_all).result()  # a kept connection would outlive the test
        handler.executor.shutdown()
    assert len(created) == opened


def test_the_middleware_chain_is_one_sync_call():
    # Built as under WSGI: no thread hop per middleware (each of Django's own would hop twice under ASGI).
    handler = PooledASGIHandler(threads=1)
    assert not iscoroutinefunction(vars(handler)["_middleware_chain"])
    handler.executor.shutdown()
