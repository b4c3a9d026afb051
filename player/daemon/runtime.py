"""The player daemon of one room: one libvlc engine, typed commands from the room's Redis list, a heartbeat in Redis.

Everything runs on one asyncio loop. libvlc reports from its own threads; those reports are handed to the
loop, and database work goes to a worker thread so a slow write never delays the next play. Every command is
validated against `player.protocol` as it arrives: a malformed one is logged and dropped, never half run.

One player per room: before anything else the daemon claims its room in Redis (`SET NX` with the heartbeat's
TTL, renewed with every beat by a script that never overwrites another player's claim), so a second player
started for the same room refuses while the first is alive, and one that lost its claim (it stalled past the
TTL and another took over) stops instead of playing twice. A claim that only expired is taken back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, transaction
from redis.asyncio import Redis

from core.redis_client import async_client
from credits import services as credits
from player.daemon.engine import Engine, Output, Playback
from player.daemon.music import TICK_S, MusicRuntime
from player.daemon.publish import publish_event
from player.models import Room
from player.protocol import (
    REPLY_TTL_S,
    AnyCommand,
    Heartbeat,
    Message,
    MusicCommand,
    PlayAnswer,
    PlaybackEnded,
    PlayingClip,
    PlaylistChanged,
    PlaylistDeleted,
    PlaySound,
    QueueChanged,
    SoundsStopped,
    StopAll,
    ValidationError,
    claim_key,
    command_key,
    heartbeat_key,
    parse_command,
    reply_key,
)
from sounds.services import record_play

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 1.0
RECEIVE_WAIT_S = 1.0  # a blocking pop's longest wait: how soon the reader sees that the player is stopping
HEARTBEAT_TTL_S = 4
ROOM_CHECK_EVERY = 5  # beats between two looks at the room's row (see `_keep_room`)

# Renew our claim (and write the heartbeat, once ready) unless another player holds the room: one script, so no
# other player can take the room between the check and the write. A claim that merely expired (we stalled past
# the TTL and nobody came, or Redis restarted empty) is taken again. KEYS: claim, heartbeat; ARGV: our token,
# the TTL, the heartbeat ('' before we are ready).
RENEW_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2]) end
return 1
"""
# Take the room over from a named holder, only if it still holds it. KEYS: claim; ARGV: the holder's token, ours,
# the TTL.
TAKE_OVER_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""
# Let go of the room on a clean stop, unless another player holds it by now.
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
"""


class RoomTaken(RuntimeError):
    """Another player serves this room (its claim is alive)."""


def _dead_here(holder: str) -> bool:
    """Whether a claim's token names a process of this host that no longer exists: a player killed with -9 (or
    crashed) just before a supervisor restarts it. Its claim would block the room for the rest of its TTL; the
    restarted player may take it at once. A pid reused since is taken for alive (wait for the TTL: safe side)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _db(func: Any) -> Any:
    """Run ORM work in a thread and hand its connection back afterwards (this process lives for days)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


class PlayerRuntime:
    def __init__(self, output: Output, room: Room) -> None:
        self.output = output
        self.room = room.slug
        self.loop: asyncio.AbstractEventLoop | None = None
        self.engine = Engine(output, self._from_libvlc)
        self.music = MusicRuntime(self.engine, _db, room=room.slug, default_volume=room.default_volume)
        self.pending: dict[str, PlaySound] = {}
        self.stopping = asyncio.Event()
        self.started_at = time.time()
        self.claim = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self.ready = False  # the heartbeat is written only once the music is restored and commands are read
        self.failure = ""  # why the player stopped on its own (it lost its claim)
        self.redis: Redis | None = None  # the answers' client, made on the running loop (`run`)

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
                stamps = [*playback.stamps, ("first_samples", playback.heard_at or 0.0)]
                stamps += [("due", playback.due_at or 0.0), ("reply", time.monotonic())]
                answer = PlayAnswer(status="playing", playback_id=playback.id, stamps=stamps)
                await self._reply(command, answer)
            await self.music.duck(True)
            if command is not None:
                await self._record(command, playback)
                # The next click takes a media player made now, while this one plays (see Engine.warm).
                await asyncio.to_thread(self.engine.warm)
            return
        if command is not None:  # ended or failed before it ever played
            await self._reply(command, PlayAnswer(status="failed", detail="libvlc could not play the file"))
        await asyncio.to_thread(self.engine.forget, playback.id)
        if not self._clips_playing():
            await self.music.duck(False)
        await publish_event(PlaybackEnded(room=self.room, playback_id=playback.id, sound_id=playback.sound_id))
        if playback.wav_path is not None:
            logger.info("Rendered %s (%d frames)", playback.wav_path.name, playback.frames_written)

    async def _record(self, command: PlaySound, playback: Playback) -> None:
        if not await _db(_keep_and_record)(command, playback.id, self.room):
            # The web side gave up waiting and refunded this attempt first: a refunded play doesn't go on.
            logger.info("Stopped %s: its attempt was refunded before it played", playback.id)
            await asyncio.to_thread(self.engine.forget, playback.id)

    # --- commands ---------------------------------------------------------------------------------------
    async def handle(self, message: dict[str, Any], received_at: float | None = None) -> None:
        """Run one command from the channel (`received_at`: time.monotonic() when it was read off it)."""
        received_at = time.monotonic() if received_at is None else received_at
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
            await self._play(command, received_at)
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
            await publish_event(SoundsStopped(room=self.room, count=len(stopped), user_id=command.user_id))
            for playback in stopped:
                await publish_event(PlaybackEnded(room=self.room, playback_id=playback.id, sound_id=playback.sound_id))

    async def _play(self, command: PlaySound, received_at: float) -> None:
        if command.playback_id in self.pending or command.playback_id in self.engine.playbacks:
            # The same command twice (a push retried after its connection broke): it plays once.
            logger.warning("Dropped a second command for playback %s", command.playback_id)
            return
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
            playback.stamps = [("receive", received_at), ("open", time.monotonic())]
        except Exception as exc:
            self.pending.pop(command.playback_id, None)
            await self._reply(command, PlayAnswer(status="failed", detail=str(exc)))

    async def _reply(self, command: PlaySound | MusicCommand, answer: Message) -> None:
        if command.reply and self.redis is not None:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.rpush(reply_key(command.reply), answer.model_dump_json())
                pipe.expire(reply_key(command.reply), REPLY_TTL_S)
                await pipe.execute()

    # --- the process ------------------------------------------------------------------------------------
    def _status(self) -> Heartbeat:
        clips = [
            PlayingClip(playback_id=p.id, sound_id=p.sound_id, name=p.label)
            for p in list(self.engine.playbacks.values())
            if not MusicRuntime.owns(p) and p.sound_id is not None
        ]
        return Heartbeat(
            room=self.room,
            host=socket.gethostname(),
            pid=os.getpid(),
            output=self.output.mode,
            started_at=self.started_at,
            beat_at=time.time(),
            playing=len(self.engine.playbacks),
            clips=clips,
        )

    async def claim_room(self) -> None:
        """Take the room, or raise RoomTaken naming the player that has it (its heartbeat, when it has one)."""
        client = async_client()
        try:
            if await client.set(claim_key(self.room), self.claim, nx=True, ex=HEARTBEAT_TTL_S):
                return
            raw_holder = await client.get(claim_key(self.room))
            holder = raw_holder.decode() if isinstance(raw_holder, bytes) else raw_holder
            if holder is not None and _dead_here(holder):
                taken = await client.eval(
                    TAKE_OVER_SCRIPT, 1, claim_key(self.room), holder, self.claim, HEARTBEAT_TTL_S
                )
                if taken:
                    logger.warning("Took room %s over from a player that died (%s)", self.room, holder)
                    return
            raw = await client.get(heartbeat_key(self.room))
        finally:
            await client.aclose()
        try:
            beat = Heartbeat.model_validate_json(raw) if raw else None
        except ValidationError:
            beat = None
        who = f" (pid {beat.pid} on {beat.host or 'an unknown host'})" if beat is not None else " (still starting)"
        raise RoomTaken(
            f"Room “{self.room}” already has a player{who}. Stop that one first, or start this one with another "
            f"--room. A player that was killed lets go of its room within {HEARTBEAT_TTL_S} s."
        )

    async def _heartbeat(self) -> None:
        """Renew the claim every beat; once ready, also say so in the heartbeat (what web processes read)."""
        client = async_client()
        keys = [claim_key(self.room), heartbeat_key(self.room)]
        beats = 0
        try:
            while not self.stopping.is_set():
                beats += 1
                if self.ready and beats % ROOM_CHECK_EVERY == 0:
                    await self._keep_room()
                try:
                    status = self._status().model_dump_json() if self.ready else ""
                    if not await client.eval(RENEW_SCRIPT, 2, *keys, self.claim, HEARTBEAT_TTL_S, status):
                        self.failure = (
                            f"Room “{self.room}” was taken over by another player while this one was not "
                            "renewing its claim (stalled?); stopping so the room has one player."
                        )
                        logger.error(self.failure)
                        self.stopping.set()
                        break
                except Exception:
                    logger.warning("Heartbeat failed (Redis down?); retrying", exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), HEARTBEAT_INTERVAL_S)
            with contextlib.suppress(Exception):
                await client.eval(RELEASE_SCRIPT, 2, *keys, self.claim)
        finally:
            await client.aclose()

    async def _keep_room(self) -> None:
        """The room's row was deleted while this player runs (the admin refuses that while we are online, but a
        shell or a race can): put it back, named after its slug, so the room is listed and addressable again.
        Its queue, quiet hours and saved state went with the row; the music plays on from memory."""
        try:
            if await _db(_restore_room)(self.room):
                logger.warning("Room %s was deleted while its player ran: it is back", self.room)
        except Exception:
            logger.warning("Cannot check room %s's row (database down?)", self.room, exc_info=True)

    async def _receive_forever(self) -> None:
        # A connection of its own: a blocking pop holds it while it waits.
        client = async_client(decode_responses=True)
        key = command_key(self.room)
        backoff = 0.5
        try:
            while not self.stopping.is_set():
                try:
                    popped = await client.blpop([key], timeout=RECEIVE_WAIT_S)
                    received_at = time.monotonic()
                    backoff = 0.5
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Redis restarting: keep trying, the heartbeat tells web processes we are not reachable.
                    logger.warning("Cannot read commands; retrying in %.1f s", backoff, exc_info=True)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10)
                    continue
                if popped is None:
                    continue  # nothing in RECEIVE_WAIT_S: look at `stopping` again
                try:
                    message = json.loads(popped[1])
                except ValueError:
                    logger.warning("Dropped a command that is not JSON: %r", popped[1][:200])
                    continue
                if not isinstance(message, dict):
                    logger.warning("Dropped a command that is not an object: %r", popped[1][:200])
                    continue
                try:
                    await self.handle(message, received_at)
                except Exception:
                    logger.exception("Player command failed: %r", message.get("type"))
        finally:
            await client.aclose()

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
        await self.claim_room()
        # Renewing the claim starts at once (restoring may take longer than its TTL); the heartbeat that says
        # "ready" is written only once the music is restored and commands are read. Beating from the start let the
        # web send commands that waited past their deadline while the player was still restoring.
        heartbeat = asyncio.create_task(self._heartbeat())
        logger.info("Player of room %s started (output: %s)", self.room, self.output.mode)
        try:
            await self.music.start()
        except Exception:
            logger.exception("Could not restore the music player; starting empty")
        await asyncio.to_thread(self.engine.warm)
        self.redis = answers = async_client()
        receiver = asyncio.create_task(self._receive_forever())
        ticker = asyncio.create_task(self._tick_forever())
        self.ready = True
        await self.stopping.wait()
        for task in (receiver, ticker):
            task.cancel()
        await asyncio.gather(receiver, ticker, return_exceptions=True)
        await heartbeat
        await asyncio.to_thread(self.engine.release)
        await answers.aclose()
        logger.info("Player stopped")


def _restore_room(slug: str) -> bool:
    """True when the room's row was missing and is made again."""
    if Room.objects.filter(slug=slug).exists():
        return False
    Room.ensure(slug)
    return True


def _keep_and_record(command: PlaySound, playback_id: str, room: str) -> bool:
    """The clip is heard: its attempt pending → played and the play recorded, together, or neither.

    False when the web side refunded the attempt first (one conditional UPDATE decides which side won). An
    announcement's attempt is shared by every room: the first room to play it keeps it, the others find it kept.
    """
    keep = credits.keep_shared_attempt if command.announcement else credits.keep_attempt
    with transaction.atomic():
        if not keep(command.attempt_id):
            return False
        record_play(
            sound_id=command.sound_id,
            user_id=command.user_id,
            source=command.source,
            user_name=command.user_name,
            playback_id=playback_id,
            room=room,
        )
    return True


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("Player task failed", exc_info=task.exception())
