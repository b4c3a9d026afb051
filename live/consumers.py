"""The one websocket every page opens: live events for its user and for everyone, and presence."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from live import events, presence, rendering
from live.contexts import Presence

logger = logging.getLogger(__name__)

# Close codes in the application range, so a client can tell "go sign in" from a network drop.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_DISABLED = 4403


class LiveConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types: its base is Any
    user_id: int | None = None
    _heartbeat: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Closing before accept() rejects the handshake (HTTP 403).
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.user_id = user.pk
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
        # The page sends nothing meaningful; any frame just proves the tab is alive.
        if self.user_id is not None:
            await presence.touch(self.user_id, self.channel_name)

    async def live_event(self, message: dict[str, Any]) -> None:
        # Events arrive as data; live.rendering renders each one once per process, whatever the fan-out.
        html = rendering.html_for(message)
        if html:
            await self.send(text_data=html)

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
