from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from tqdm import tqdm

from sounds.management.commands._types import parse_type
from sounds.models import Sound
from sounds.services import NormalizeOutcome, normalize_sound


def _one(sound_id: int, force: bool, one_pass: bool | None) -> Result:
    try:
        sound = Sound.objects.filter(pk=sound_id).first()
        if sound is None:
            return None, NormalizeOutcome("error", "deleted meanwhile")
        return sound, normalize_sound(sound=sound, force=force, one_pass=one_pass)
    finally:
        if threading.current_thread() is not threading.main_thread():
            close_old_connections()


Result = tuple[Sound | None, NormalizeOutcome]


class Command(BaseCommand):
    help = "Loudness-normalize sounds (EBU R128, two-pass) right here, with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", dest="sound_type", help="Only this type: SDB, TTS or EXT.")
        parser.add_argument("--id", dest="sound_id", type=int, help="Only this sound.")
        parser.add_argument("--force", action="store_true", help="Also re-normalize sounds that already are.")
        parser.add_argument("--one-pass", action="store_true", help="One loudnorm pass (faster, less exact).")
        parser.add_argument("--jobs", type=int, default=2, help="ffmpeg processes at once (default 2).")

    def handle(self, *args: Any, **options: Any) -> None:
        qs = Sound.objects.all()
        if options["sound_id"] is not None:
            qs = qs.filter(pk=options["sound_id"])
            if not qs.exists():
                raise CommandError(f"No sound with id {options['sound_id']}.")
        if kind := parse_type(options["sound_type"]):
            qs = qs.of_types([kind])
        if not options["force"]:
            qs = qs.needing_normalization()
        if options["jobs"] < 1:
            raise CommandError("--jobs must be at least 1.")
        ids = list(qs.order_by("pk").values_list("pk", flat=True))
        if not ids:
            self.stdout.write("Nothing to normalize.")
            return
        one_pass = True if options["one_pass"] else None
        tally: Counter[str] = Counter()
        problems: list[str] = []
        with tqdm(total=len(ids), unit="sound", disable=options["verbosity"] == 0, file=sys.stderr) as bar:
            for sound, outcome in self._run(ids, options["jobs"], options["force"], one_pass):
                tally[outcome.status] += 1
                if outcome.status in ("error", "silent"):
                    problems.append(f"  {sound.name if sound else '?'}: {outcome.detail}")
                bar.update(1)
        self.stdout.write(", ".join(f"{n} {status}" for status, n in sorted(tally.items())))
        for line in problems:
            self.stdout.write(line)

    @staticmethod
    def _run(ids: list[int], jobs: int, force: bool, one_pass: bool | None) -> Iterator[Result]:
        if jobs == 1:
            for sound_id in ids:
                yield _one(sound_id, force, one_pass)
            return
        # ffmpeg does the work in subprocesses, so threads are enough to keep every core busy.
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_one, i, force, one_pass) for i in ids]
            for future in as_completed(futures):
                yield future.result()
