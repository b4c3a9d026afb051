from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from player.daemon.engine import Output
from player.daemon.runtime import PlayerRuntime


class Command(BaseCommand):
    help = "Run the player: the one libvlc instance of this host (instant plays and the music player)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="Override PLAYER_AUDIO_OUTPUT: auto, none or file:DIR.")

    def handle(self, *args: Any, output: str | None, **options: Any) -> None:
        try:
            parsed = Output.parse(output or settings.PLAYER_AUDIO_OUTPUT)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            runtime = PlayerRuntime(parsed)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Player running (audio output: {parsed.mode}). Ctrl-C or SIGTERM stops it.")
        asyncio.run(runtime.run())
