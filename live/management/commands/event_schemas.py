from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from live import programs


def rendered(name: str) -> str:
    return json.dumps(programs.schema(name), indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write docs/events/<event>.schema.json, the JSON Schema of each event /ws/events/ sends to programs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs" / "events"))
        parser.add_argument("--check", action="store_true", help="Only tell whether the files are up to date.")

    def handle(self, *args: Any, out: str, check: bool, **options: Any) -> None:
        folder = Path(out)
        stale = [name for name in programs.EVENTS if _read(folder / f"{name}.schema.json") != rendered(name)]
        if check:
            if stale:
                raise CommandError(f"Out of date: {', '.join(stale)}. Run `manage.py event_schemas`.")
            self.stdout.write("The event schemas are up to date.")
            return
        folder.mkdir(parents=True, exist_ok=True)
        for name in stale:
            (folder / f"{name}.schema.json").write_text(rendered(name), encoding="utf-8")
        self.stdout.write(f"Wrote {len(stale)} of {len(programs.EVENTS)} schemas to {folder}.")


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None
