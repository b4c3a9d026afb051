"""The live channel: who may connect, and who receives what."""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from live import consumers, events, presence
from live.contexts import LiveContext, Toast, UserCreditsChanged, UserMessage
from live.tests.sockets import closed_with, connect, connect_events, receive_event, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


class Forged(LiveContext):
    EVENT: ClassVar[str] = "../base"


async def test_an_anonymous_websocket_is_refused():
    _communicator, connected = await connect(None)
    assert not connected


async def test_a_websocket_from_another_origin_is_refused():
    user = await sync_to_async(UserFactory.create)()
    _communicator, connected = await connect(user, origin=b"https://evil.example")
    assert not connected


async def test_a_disabled_users_websocket_is_refused():
    user = await sync_to_async(UserFactory.create)(is_active=False)
    _communicator, connected = await connect(user)
    assert not connected


async def test_a_user_gets_their_own_events_and_never_anothers():
    alice, bob = await sync_to_async(UserFactory.create)(), await sync_to_async(UserFactory.create)()
    ws_alice, ok_a = await connect(alice)
    ws_bob, ok_b = await connect(bob)
    assert ok_a
    assert ok_b
    # Bob's arrival is announced after his socket is accepted: wait for it, or it could land after the marker.
    await receive_until(ws_bob, 'id="online-count" data-testid="online-count" hx-swap-oob="true">2</span>')
    credits = UserCreditsChanged(before=25, after=24, amount=-1, action="test", action_label="Test")
    await events.asend_to_user(alice.pk, credits)
    frame = await receive_until(ws_alice, "credit-balance")
    assert ">24</span>" in frame
    assert 'hx-swap-oob="true"' in frame
    # Bob's socket sees nothing of it: a marker event sent to him afterwards arrives first.
    await events.asend_to_user(bob.pk, Toast(message="marker-for-bob"))
    bob_frame = await receive_until(ws_bob, "toasts")
    assert "marker-for-bob" in bob_frame
    assert await ws_bob.receive_nothing(timeout=0.2)
    await ws_alice.disconnect()
    await ws_bob.disconnect()


async def test_a_broadcast_reaches_everyone():
    users = [await sync_to_async(UserFactory.create)() for _ in range(3)]
    sockets = [(await connect(u))[0] for u in users]
    await events.abroadcast(Toast(message="hello room"))
    for ws in sockets:
        assert "hello room" in await receive_until(ws, "hello room")
        await ws.disconnect()


async def test_event_context_is_escaped_in_the_rendered_html():
    user = await sync_to_async(UserFactory.create)()
    ws, _ = await connect(user)
    forged = UserMessage(sender_id=1, sender_name="<b>x</b>", message="<img src=x onerror=alert(1)>")
    await events.asend_to_user(user.pk, forged)
    frame = await receive_until(ws, "says")
    assert "<img src=x" not in frame
    assert "&lt;img src=x onerror=alert(1)&gt;" in frame
    assert "&lt;b&gt;x&lt;/b&gt;" in frame
    await ws.disconnect()


async def test_presence_counts_distinct_users_and_is_broadcast():
    alice, bob = await sync_to_async(UserFactory.create)(), await sync_to_async(UserFactory.create)()
    ws_a1, _ = await connect(alice)
    ws_a2, _ = await connect(alice)  # a second tab is not a second person
    assert await presence.online_count() == 1
    ws_b, _ = await connect(bob)
    await receive_until(ws_a1, 'id="online-count" data-testid="online-count" hx-swap-oob="true">2</span>')
    assert await presence.online_count() == 2
    await ws_b.disconnect()
    await receive_until(ws_a1, 'id="online-count" data-testid="online-count" hx-swap-oob="true">1</span>')
    await ws_a1.disconnect()
    await ws_a2.disconnect()
    assert await presence.online_count() == 0


async def test_disabling_a_user_closes_their_open_websockets():
    user = await sync_to_async(UserFactory.create)()
    ws, connected = await connect(user)
    assert connected
    # The socket joins presence after it is accepted; its own announcement says it has.
    await receive_until(ws, 'id="online-count" data-testid="online-count" hx-swap-oob="true">1</span>')

    def disable() -> None:
        user.is_active = False
        user.save()

    await sync_to_async(disable)()
    while True:
        frame = await ws.receive_output(timeout=3)
        if frame["type"] == "websocket.close":
            assert frame["code"] == 4403
            break
    assert not await presence.is_online(user.pk)


def test_event_names_cannot_point_outside_the_live_templates():
    with pytest.raises(ValueError, match="Invalid event name"):
        events.broadcast(Forged())


async def test_a_flood_of_frames_closes_that_page_socket_and_nothing_else():
    flooder, quiet = await sync_to_async(UserFactory.create)(), await sync_to_async(UserFactory.create)()
    ws_quiet, _ = await connect(quiet)
    ws, _ = await connect(flooder)
    # A page sends nothing: a few stray frames are ignored, a flood closes the socket (no work per frame).
    for n in range(1000):
        await ws.send_to(text_data=f"frame {n}")
    assert await closed_with(ws) == consumers.CLOSE_POLICY
    await events.abroadcast(Toast(message="still-here"))
    assert "still-here" in await receive_until(ws_quiet, "still-here")
    again, connected = await connect(flooder)
    assert connected
    await again.disconnect()
    await ws_quiet.disconnect()


async def test_events_reach_the_sockets_while_their_sync_thread_is_busy():
    # The sockets of a process share one thread for their sync calls. Passing an event on must not wait for it
    # (channels' own dispatch hops there before every message): with hundreds of sockets, the last one's frame
    # waited for hundreds of hops.
    user = await sync_to_async(UserFactory.create)()
    page, _ = await connect(user)
    program, accepted, _ = await connect_events(user=user)
    assert accepted
    release = threading.Event()
    busy = asyncio.ensure_future(sync_to_async(release.wait)())  # thread-sensitive: that very thread
    try:
        await events.asend_to_user(user.pk, UserMessage(sender_id=user.pk, sender_name="Ann", message="meanwhile"))
        await receive_until(page, "meanwhile")
        assert (await receive_event(program, "user_message"))["data"]["message"] == "meanwhile"
        assert not busy.done()
    finally:
        release.set()
        await busy
    await page.disconnect()
    await program.disconnect()
