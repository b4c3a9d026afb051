"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clean_redis_state() -> Iterator[None]:
    """Cache entries (rate limits) and presence must not leak between tests.

    Only our own keys go: channel-layer and Celery broker keys belong to servers a test session may be running.
    """
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [*client.scan_iter("sb:1:*"), b"sb:presence"]
    client.delete(*keys)
    yield
    client.close()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory()


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory(is_staff=True)


@pytest.fixture
def authed_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
