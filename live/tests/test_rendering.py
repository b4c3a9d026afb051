"""Events are data: senders need no templates, and each web process renders an event once for all its sockets."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

from accounts.tests.factories import UserFactory
from live import events, rendering
from live.contexts import LiveContext, ScanReport, Toast
from live.tests.sockets import connect, receive_until


class NoTemplate(LiveContext):
    EVENT: ClassVar[str] = "no_such_template"


@pytest.fixture
def render_counts(monkeypatch):
    """Counts renders per template, still rendering for real."""
    counts: Counter[str] = Counter()
    real = render_to_string

    def counting(template_name: str, context: dict) -> str:
        counts[template_name] += 1
        return real(template_name, context)

    monkeypatch.setattr(rendering, "render_to_string", counting)
    return counts


@pytest.mark.django_db(transaction=True)
async def test_an_event_to_many_sockets_in_one_process_is_rendered_once(render_counts):
    users = [await sync_to_async(UserFactory.create)() for _ in range(4)]
    sockets = [(await connect(u))[0] for u in users]
    sockets.append((await connect(users[0]))[0])  # a second tab of one user
    await events.abroadcast(Toast(message="once for everyone", level="success"))
    for ws in sockets:
        frame = await receive_until(ws, "once for everyone")
        assert "toast--success" in frame
    assert render_counts["live/toast.html"] == 1
    for ws in sockets:
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_two_events_with_the_same_content_are_rendered_each(render_counts):
    user = await sync_to_async(UserFactory.create)()
    ws, _ = await connect(user)
    for _ in range(2):
        await events.asend_to_user(user.pk, Toast(message="twice"))
        await receive_until(ws, "twice")
    assert render_counts["live/toast.html"] == 2
    await ws.disconnect()


def test_sending_an_event_needs_no_templates(settings, monkeypatch):
    # A process without templates (the player daemon on a bare audio host) publishes the same way.
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False}]

    def no_rendering(*args: object, **kwargs: object) -> str:
        raise AssertionError("a sender rendered a template")

    monkeypatch.setattr(rendering, "render_to_string", no_rendering)
    layer = get_channel_layer()
    inbox = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.STAFF, inbox)
    events.send_to_staff(ScanReport(report={"added": ["a.wav"]}, counts={"added": 1}))
    message = async_to_sync(layer.receive)(inbox)
    async_to_sync(layer.group_discard)(events.STAFF, inbox)
    assert message["type"] == "live.event"
    assert message["event"] == "scan_report"
    assert message["context"] == {"report": {"added": ["a.wav"]}, "counts": {"added": 1}}
    assert len(message["id"]) == 32
    assert "html" not in message


def test_an_event_that_cannot_be_rendered_is_skipped_not_sent(caplog):
    message = events.message(NoTemplate())
    assert rendering.html_for(message) == ""
    assert "Could not render live event" in caplog.text


def test_a_forged_event_name_never_picks_a_template_outside_live():
    assert rendering.html_for({"id": "x" * 32, "event": "../base", "context": {}}) == ""
