from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sounds.management.commands._types import parse_type
from sounds.scanner import ScanAlreadyRunning, scan
from sounds.services import queue_normalization


class Command(BaseCommand):
    help = "Sync the database with SOUNDS_ROOT/originals/*: add new files, update changed ones, drop vanished ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", dest="sound_type", help="Only this type: SDB, TTS or EXT.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change, change nothing.")
        parser.add_argument("--no-normalize", action="store_true", help="Do not queue normalization of new sounds.")

    def handle(self, *args: Any, sound_type: str | None, dry_run: bool, no_normalize: bool, **options: Any) -> None:
        kind = parse_type(sound_type)
        bar = tqdm(total=0, unit="file", disable=options.get("verbosity", 1) == 0, file=sys.stderr)

        def progress(done: int, total: int, current: str) -> None:
            if bar.total != total:
                bar.reset(total=total)
            bar.n = done
            bar.set_postfix_str(current[-40:], refresh=False)
            bar.refresh()

        try:
            result = scan(types=[kind] if kind else None, dry_run=dry_run, progress=progress)
        except ScanAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        prefix = "Would have: " if dry_run else ""
        counts = result.counts()
        self.stdout.write(prefix + ", ".join(f"{v} {k}" for k, v in counts.items()))
        for key in ("added", "updated", "deleted", "duplicates", "errors"):
            for name in getattr(result, key):
                self.stdout.write(f"  {key[:-1] if key.endswith('s') else key}: {name}")
        if result.new_sound_ids and not dry_run and not no_normalize:
            queue_normalization(result.new_sound_ids)
            self.stdout.write(f"Queued {len(result.new_sound_ids)} sound(s) for normalization on the audio queue.")
