from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from player.daemon.engine import Output
from player.daemon.runtime import PlayerRuntime, RoomTaken
from player.models import Room, slug_validator
from player.protocol import DEFAULT_ROOM


class Command(BaseCommand):
    help = "Run the player of one room: its libvlc instance (instant plays and the music player)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--room",
            default=DEFAULT_ROOM,
            help=f"The room's slug (default: {DEFAULT_ROOM}); a new slug makes the room.",
        )
        parser.add_argument("--output", help="Override PLAYER_AUDIO_OUTPUT: auto, none or file:DIR.")

    def handle(self, *args: Any, room: str, output: str | None, **options: Any) -> None:
        try:
            slug_validator(room)
        except ValidationError as exc:
            raise CommandError(f"--room {room[:60]!r} is not a room slug: {exc.messages[0]}") from exc
        try:
            parsed = Output.parse(output or settings.PLAYER_AUDIO_OUTPUT)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        served = Room.ensure(room)
        try:
            runtime = PlayerRuntime(parsed, served)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Starting the player of room “{served.slug}” (audio output: {parsed.mode}). Ctrl-C or SIGTERM stops it."
        )
        try:
            asyncio.run(runtime.run())
        except RoomTaken as exc:
            raise CommandError(str(exc)) from exc
        if runtime.failure:
            raise CommandError(runtime.failure)
