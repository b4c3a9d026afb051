"""The live websockets: `/ws/live/`, the one every page opens (HTML fragments, presence), and `/ws/events/`,
the same events as JSON for programs (`live.programs`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import ApiToken, User
from live import events, presence, programs, rendering
from live.contexts import Presence
from player import rooms

logger = logging.getLogger(__name__)

# Close codes in the application range, so a client can tell "go sign in" from a network drop.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_DISABLED = 4403
CLOSE_POLICY = 1008  # the standard code for "you broke the rules": here, too many frames from a client

# Neither a page (on /ws/live/) nor a program (on /ws/events/) has anything to say: pings are control frames,
# which never get here. A few stray frames are ignored, a flood closes the socket, so a hostile tab cannot
# make a web process work per frame. Daphne caps each frame at 1 MiB before it reaches us.
CLIENT_FRAMES_PER_MINUTE = 120
# How often an event socket opened with a token checks that the token still works: the revocation's close
# message can be lost (channel layers deliver at most once), and an expiry has no message at all.
TOKEN_RECHECK_SECONDS = 30.0
# A page follows one room's player, its person's chosen room: these events concern that room only (its bar, its
# "every sound was stopped"). Every room's plays reach every page (the feed names the room).
ROOM_EVENTS = frozenset({"player_state", "sounds_stopped"})


def _chosen_room(user: User) -> str:
    return rooms.chosen(user).slug


class FrameBudget:
    """Counts a socket's frames per minute; `spent()` is true once, at the first frame over the budget."""

    def __init__(self) -> None:
        self._window_start = 0.0
        self._frames = 0

    def spent(self) -> bool:
        now = time.monotonic()
        if now - self._window_start >= 60:
            self._window_start, self._frames = now, 0
        self._frames += 1
        return self._frames == CLIENT_FRAMES_PER_MINUTE + 1


class Socket(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types: its base is Any
    """Both live sockets' base: channels' dispatch without its hop to the sync thread before every message.

    Since 4.2, channels runs `close_old_connections` through `sync_to_async` before each message a consumer
    handles, for consumers that use the ORM on the event loop. These never do: every query goes through
    `database_sync_to_async`, which closes stale connections around each call on the thread that holds them.
    The hop is not free: every socket of a process shares one thread for its sync calls (thread-sensitive, and
    outside any request), so an event to 500 sockets queued 500 hops there, one after the other, and the last
    socket's frame waited for all of them (a second or more on a busy machine)."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class LiveConsumer(Socket):
    user_id: int | None = None
    room: str = ""
    _heartbeat: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Closing before accept() rejects the handshake (HTTP 403).
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.user_id = user.pk
        self.room = await database_sync_to_async(_chosen_room)(user)
        self._budget = FrameBudget()
        self.groups = [events.user_group(user.pk), events.EVERYONE]
        if user.is_staff:
            self.groups.append(events.STAFF)
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        before = await presence.online_count()
        after = await presence.join(user.pk, self.channel_name)
        if after != before:
            await events.abroadcast(Presence(online=after))
        self._heartbeat = asyncio.create_task(self._keep_presence())

    async def disconnect(self, code: int) -> None:
        if self.user_id is None:
            return
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        try:
            before = await presence.online_count()
            after = await presence.leave(self.user_id, self.channel_name)
        except Exception:
            logger.warning("Could not update presence on disconnect", exc_info=True)
            return
        if after != before:
            await events.abroadcast(Presence(online=after))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The page sends nothing (presence is kept by `_keep_presence`): count frames, never read them.
        if self._budget.spent():
            logger.warning("Closing the live socket of user %s: it sent too many frames", self.user_id)
            await self.close(code=CLOSE_POLICY)

    async def live_event(self, message: dict[str, Any]) -> None:
        if message.get("event") in ROOM_EVENTS and (message.get("context") or {}).get("room") != self.room:
            return  # another room's player: this page shows its own room's bar
        # Events arrive as data; live.rendering renders each one once per process, whatever the fan-out.
        names = await rendering.room_names.get() if "room" in (message.get("context") or {}) else None
        html = rendering.html_for(message, names)
        if html:
            await self.send(text_data=html)

    async def live_room(self, message: dict[str, Any]) -> None:
        # The person chose another room (on this page or another): follow it, and have the page re-read its live
        # parts (the bar, the switcher) for that room. The page that chose reloads anyway; it ignores this.
        self.room = str(message.get("room", ""))
        await self.send(text_data=render_to_string("live/room_chosen.html", {"room": self.room}))

    async def live_close(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_DISABLED)

    async def _keep_presence(self) -> None:
        interval = max(settings.PRESENCE_TTL_SECONDS / 3, 1)
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(interval)
                try:
                    await presence.touch(self.user_id or 0, self.channel_name)
                except Exception:
                    logger.warning("Presence heartbeat failed", exc_info=True)


def bearer_token(scope: dict[str, Any]) -> str | None:
    """The raw `Authorization` header of a websocket handshake ("" when it is not a bearer token), or None
    when there is none."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return None


def _usable_token(raw: str) -> tuple[int, datetime | None, User] | None:
    token = ApiToken.find_usable(raw)
    return (token.pk, token.expires_at, token.user) if token is not None else None


def _token_still_usable(token_id: int) -> bool:
    return ApiToken.objects.usable().filter(pk=token_id).exists()


class EventsConsumer(Socket):
    """`/ws/events/`: live events as JSON for programs, signed in with a bearer token or the session.

    The same groups as a page's socket (the user's own and everyone's) and the same refusals (anonymous,
    disabled, foreign origin: see live.origins), plus the token's: unknown, revoked or expired at connect,
    and closed when it is revoked or expires later. A program does not count as a person online.
    """

    user_id: int | None = None
    token_id: int | None = None
    expires_at: datetime | None = None
    _watch: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        raw = bearer_token(self.scope)
        if raw is not None:
            # As in the JSON API, a request that carries a token is judged by it alone: a bad token must not
            # fall back to a session cookie sent along.
            found = await database_sync_to_async(_usable_token)(raw) if raw else None
            if found is None:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            self.token_id, self.expires_at, user = found
        else:
            user = self.scope.get("user")
            if user is None or not user.is_authenticated or not user.is_active:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
        self.user_id = user.pk
        self._budget = FrameBudget()
        self.groups = [events.user_group(user.pk), events.EVERYONE]
        if self.token_id is not None:
            self.groups.append(events.token_group(self.token_id))
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        if self.token_id is not None:
            self._watch = asyncio.create_task(self._watch_token(self.token_id))

    async def disconnect(self, code: int) -> None:
        if self.user_id is None:
            return
        if self._watch is not None:
            self._watch.cancel()
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Nothing a program sends means anything here: count it, never read it.
        if self._budget.spent():
            logger.warning("Closing the event socket of user %s: it sent too many frames", self.user_id)
            await self.close(code=CLOSE_POLICY)

    async def live_event(self, message: dict[str, Any]) -> None:
        text = programs.json_for(message)
        if text is not None:
            await self.send(text_data=text)

    async def live_room(self, message: dict[str, Any]) -> None:
        pass  # a person's chosen room concerns their pages; a program names rooms itself (the events carry them)

    async def live_close(self, message: dict[str, Any]) -> None:
        # The account was disabled (the user's group) or the token revoked (the token's group: code 4401).
        code = message.get("code")
        await self.close(code=code if code in (CLOSE_UNAUTHENTICATED, CLOSE_DISABLED) else CLOSE_DISABLED)

    async def _watch_token(self, token_id: int) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                wait = TOKEN_RECHECK_SECONDS
                if self.expires_at is not None:
                    wait = min(wait, max((self.expires_at - timezone.now()).total_seconds(), 0.0))
                await asyncio.sleep(wait)
                if self.expires_at is not None and self.expires_at <= timezone.now():
                    await self.close(code=CLOSE_UNAUTHENTICATED)
                    return
                try:
                    usable = await database_sync_to_async(_token_still_usable)(token_id)
                except Exception:
                    logger.warning("Could not check the token of an event socket", exc_info=True)
                    continue
                if not usable:
                    await self.close(code=CLOSE_UNAUTHENTICATED)
                    return
