"""The player daemon: one libvlc engine, typed commands from the channel layer, a heartbeat in Redis.

Everything runs on one asyncio loop. libvlc reports from its own threads; those reports are handed to the
loop, and database work goes to a worker thread so a slow write never delays the next play. Every command is
validated against `player.protocol` as it arrives: a malformed one is logged and dropped, never half run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import close_old_connections, transaction

from core.redis_client import async_client
from credits import services as credits
from player.daemon.engine import Engine, Output, Playback
from player.daemon.music import TICK_S, MusicRuntime
from player.daemon.publish import publish_event
from player.protocol import (
    HEARTBEAT_KEY,
    PLAYER_CHANNEL,
    AnyCommand,
    Heartbeat,
    Message,
    MusicCommand,
    PlayAnswer,
    PlaybackEnded,
    PlaylistChanged,
    PlaylistDeleted,
    PlaySound,
    QueueChanged,
    SoundsStopped,
    StopAll,
    ValidationError,
    parse_command,
)
from sounds.services import record_play

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
        self.pending: dict[str, PlaySound] = {}
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
                await self._reply(command, PlayAnswer(status="playing", playback_id=playback.id))
            await self.music.duck(True)
            if command is not None:
                await self._record(command, playback)
            return
        if command is not None:  # ended or failed before it ever played
            await self._reply(command, PlayAnswer(status="failed", detail="libvlc could not play the file"))
        await asyncio.to_thread(self.engine.forget, playback.id)
        if not self._clips_playing():
            await self.music.duck(False)
        await publish_event(PlaybackEnded(playback_id=playback.id, sound_id=playback.sound_id))
        if playback.wav_path is not None:
            logger.info("Rendered %s (%d frames)", playback.wav_path.name, playback.frames_written)

    async def _record(self, command: PlaySound, playback: Playback) -> None:
        if not await _db(_keep_and_record)(command, playback.id):
            # The web side gave up waiting and refunded this attempt first: a refunded play doesn't go on.
            logger.info("Stopped %s: its attempt was refunded before it played", playback.id)
            await asyncio.to_thread(self.engine.forget, playback.id)

    # --- commands ---------------------------------------------------------------------------------------
    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        try:
            command: AnyCommand = parse_command(message)
        except ValidationError as exc:
            logger.warning("Dropped a malformed %r command: %s", kind, exc)
            return
        if time.time() > command.deadline:
            # The sender stopped waiting (and refunded a paid play): running it now would be a surprise to the
            # room and free to its sender. A flood or a stall must cost its own time, not later commands'.
            late = time.time() - command.deadline
            logger.warning("Dropped an expired %r command (%.1f s past its deadline)", kind, late)
            return
        if isinstance(command, PlaySound):
            await self._play(command)
        elif isinstance(command, MusicCommand):
            await self._reply(command, await self.music.command(command))
        elif isinstance(command, PlaylistChanged):
            await self.music.reload(command.playlist_id)
        elif isinstance(command, PlaylistDeleted):
            if command.playlist_id == self.music.player.state.playlist_id:
                await self.music.reload(None, force=True)  # back to the main playlist
        elif isinstance(command, QueueChanged):
            await self.music.queue_changed()
        elif isinstance(command, StopAll):
            # Every instant clip; the music is the music player's business (its own stop button).
            stopped = await asyncio.to_thread(self.engine.stop_all, lambda p: not MusicRuntime.owns(p))
            await self.music.duck(False)
            self.pending.clear()
            logger.info("Stopped %d playback(s)", len(stopped))
            await publish_event(SoundsStopped(count=len(stopped), user_id=command.user_id))
            for playback in stopped:
                await publish_event(PlaybackEnded(playback_id=playback.id, sound_id=playback.sound_id))

    async def _play(self, command: PlaySound) -> None:
        path = Path(command.path)
        if not path.is_file():
            await self._reply(command, PlayAnswer(status="failed", detail="the file is gone"))
            return
        self.pending[command.playback_id] = command
        try:
            playback = self.engine.play(
                path, playback_id=command.playback_id, label=command.name or "sound", volume=command.volume
            )
            playback.sound_id = command.sound_id
        except Exception as exc:
            self.pending.pop(command.playback_id, None)
            await self._reply(command, PlayAnswer(status="failed", detail=str(exc)))

    async def _reply(self, command: PlaySound | MusicCommand, answer: Message) -> None:
        if command.reply:
            layer = get_channel_layer()
            assert layer is not None
            await layer.send(command.reply, answer.wire())

    # --- the process ------------------------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        client = async_client()
        try:
            while not self.stopping.is_set():
                try:
                    status = Heartbeat(
                        pid=os.getpid(),
                        output=self.output.mode,
                        started_at=self.started_at,
                        playing=len(self.engine.playbacks),
                    )
                    await client.set(HEARTBEAT_KEY, status.model_dump_json(), ex=HEARTBEAT_TTL_S)
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
        try:
            await self.music.start()
        except Exception:
            logger.exception("Could not restore the music player; starting empty")
        receiver = asyncio.create_task(self._receive_forever())
        ticker = asyncio.create_task(self._tick_forever())
        # The heartbeat says "ready": only now, with the music restored and commands being read. Beating from the
        # start let the web send commands that waited past their deadline while the player was still restoring.
        heartbeat = asyncio.create_task(self._heartbeat())
        await self.stopping.wait()
        for task in (receiver, ticker):
            task.cancel()
        await asyncio.gather(receiver, ticker, return_exceptions=True)
        await heartbeat
        await asyncio.to_thread(self.engine.release)
        logger.info("Player stopped")


def _keep_and_record(command: PlaySound, playback_id: str) -> bool:
    """The clip is heard: its attempt pending → played and the play recorded, together, or neither.

    False when the web side refunded the attempt first (one conditional UPDATE decides which side won).
    """
    with transaction.atomic():
        if not credits.keep_attempt(command.attempt_id):
            return False
        record_play(
            sound_id=command.sound_id,
            user_id=command.user_id,
            source=command.source,
            user_name=command.user_name,
            playback_id=playback_id,
        )
    return True


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("Player task failed", exc_info=task.exception())
