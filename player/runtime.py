"""The player process: one libvlc engine, commands from the channel layer, a heartbeat in Redis.

Everything runs on one asyncio loop. libvlc reports from its own threads; those reports are handed to the
loop, and database work goes to a worker thread so a slow write never delays the next play.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections

from player.commands import HEARTBEAT_KEY, PLAYER_CHANNEL
from player.engine import Engine, Output, Playback
from player.music import TICK_S, MusicRuntime

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 1.0
HEARTBEAT_TTL_S = 4


def _db(func: Any) -> Any:
    """Run ORM work in a thread and hand its connection back afterwards (this process lives for days)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


class PlayerRuntime:
    def __init__(self, output: Output) -> None:
        self.output = output
        self.loop: asyncio.AbstractEventLoop | None = None
        self.engine = Engine(output, self._from_libvlc)
        self.music = MusicRuntime(self.engine, _db)
        self.pending: dict[str, dict[str, Any]] = {}
        self.stopping = asyncio.Event()
        self.started_at = time.time()

    # --- libvlc thread -> loop -------------------------------------------------------------------------
    def _from_libvlc(self, kind: str, playback: Playback) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._spawn, self._on_engine_event(kind, playback))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_log_failure)

    def _clips_playing(self) -> bool:
        return any(not MusicRuntime.owns(p) for p in list(self.engine.playbacks.values()))

    async def _on_engine_event(self, kind: str, playback: Playback) -> None:
        if MusicRuntime.owns(playback):
            await self.music.on_engine_event(kind, playback)
            return
        command = self.pending.pop(playback.id, None)
        if kind == "playing":
            if command is not None:
                # The answer first: the web request is waiting on it; ducking and bookkeeping come after.
                await self._reply(command, {"status": "playing", "playback_id": playback.id})
            await self.music.duck(True)
            if command is not None:
                await self._record(command, playback)
            return
        if command is not None:  # ended or failed before it ever played
            await self._reply(command, {"status": "failed", "detail": "libvlc could not play the file"})
        await asyncio.to_thread(self.engine.forget, playback.id)
        if not self._clips_playing():
            await self.music.duck(False)
        from soundboard import events

        await events.abroadcast("playback_ended", {"playback_id": playback.id, "sound_id": playback.sound_id})
        if playback.wav_path is not None:
            logger.info("Rendered %s (%d frames)", playback.wav_path.name, playback.frames_written)

    async def _record(self, command: dict[str, Any], playback: Playback) -> None:
        from player.commands import was_refunded
        from sounds.services import record_play

        tx_id = command.get("transaction_id")
        if tx_id is not None and await _db(was_refunded)(tx_id):
            # The web process gave up waiting and refunded: this play is not free, so it stops.
            await asyncio.to_thread(self.engine.forget, playback.id)
            return
        await _db(record_play)(
            sound_id=command["sound_id"],
            user_id=command.get("user_id"),
            source=command.get("source", "board"),
            user_name=command.get("user_name", ""),
            playback_id=playback.id,
        )

    # --- commands ---------------------------------------------------------------------------------------
    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        deadline = message.get("deadline")
        if isinstance(deadline, int | float) and time.time() > deadline:
            # The sender stopped waiting (and refunded a paid play): running it now would be a surprise to the
            # room and free to its sender. A flood or a stall must cost its own time, not later commands'.
            logger.warning("Dropped an expired %r command (%.1f s past its deadline)", kind, time.time() - deadline)
            return
        if kind == "play.sound":
            await self._play(message)
        elif kind == "music.command":
            answer = await self.music.command(str(message.get("command")), dict(message.get("params") or {}))
            await self._reply(message, answer)
        elif kind == "playlist.changed":
            await self.music.reload(message.get("playlist_id"))
        elif kind == "playlist.deleted":
            if message.get("playlist_id") == self.music.player.state.playlist_id:
                await self.music.reload(None, force=True)  # back to the main playlist
        elif kind == "stop.all":
            # Every instant clip; the music is the music player's business (its own stop button).
            stopped = await asyncio.to_thread(self.engine.stop_all, lambda p: not MusicRuntime.owns(p))
            await self.music.duck(False)
            self.pending.clear()
            logger.info("Stopped %d playback(s)", len(stopped))
            from soundboard import events

            await events.abroadcast("sounds_stopped", {"count": len(stopped), "user_id": message.get("user_id")})
            for playback in stopped:
                await events.abroadcast("playback_ended", {"playback_id": playback.id, "sound_id": playback.sound_id})
        else:
            logger.warning("Unknown player command %r", kind)

    async def _play(self, message: dict[str, Any]) -> None:
        path = Path(message["path"])
        if not path.is_file():
            await self._reply(message, {"status": "failed", "detail": "the file is gone"})
            return
        self.pending[message["playback_id"]] = message
        try:
            playback = self.engine.play(path, playback_id=message["playback_id"], label=message.get("name", "sound"))
            playback.sound_id = message.get("sound_id")
        except Exception as exc:
            self.pending.pop(message["playback_id"], None)
            await self._reply(message, {"status": "failed", "detail": str(exc)})

    async def _reply(self, command: dict[str, Any], answer: dict[str, Any]) -> None:
        reply = command.get("reply")
        if reply:
            layer = get_channel_layer()
            assert layer is not None
            await layer.send(reply, answer)

    # --- the process ------------------------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        import redis.asyncio as aredis

        client = aredis.Redis.from_url(settings.REDIS_URL)
        status = {"pid": os.getpid(), "output": self.output.mode, "started_at": self.started_at}
        try:
            while not self.stopping.is_set():
                try:
                    status["playing"] = len(self.engine.playbacks)
                    await client.set(HEARTBEAT_KEY, json.dumps(status), ex=HEARTBEAT_TTL_S)
                except Exception:
                    logger.warning("Heartbeat failed (Redis down?); retrying", exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), HEARTBEAT_INTERVAL_S)
            await client.delete(HEARTBEAT_KEY)
        finally:
            await client.aclose()

    async def _receive_forever(self) -> None:
        layer = get_channel_layer()
        assert layer is not None
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                message = await layer.receive(PLAYER_CHANNEL)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis restarting: keep trying, the heartbeat tells web processes we are not reachable.
                logger.warning("Cannot read commands; retrying in %.1f s", backoff, exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
                continue
            try:
                await self.handle(message)
            except Exception:
                logger.exception("Player command failed: %r", message.get("type"))

    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while not self.stopping.is_set():
            # On a fixed schedule, not "sleep after the work": the work's time must not stretch the period.
            due = max(due + TICK_S, loop.time())
            await asyncio.sleep(due - loop.time())
            try:
                await self.music.tick()
            except Exception:
                logger.exception("Music tick failed")

    async def run(self) -> None:
        self.loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.stopping.set)
        logger.info("Player started (output: %s)", self.output.mode)
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            await self.music.start()
        except Exception:
            logger.exception("Could not restore the music player; starting empty")
        receiver = asyncio.create_task(self._receive_forever())
        ticker = asyncio.create_task(self._tick_forever())
        await self.stopping.wait()
        for task in (receiver, ticker):
            task.cancel()
        await asyncio.gather(receiver, ticker, return_exceptions=True)
        await heartbeat
        await asyncio.to_thread(self.engine.release)
        logger.info("Player stopped")


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("Player task failed", exc_info=task.exception())
