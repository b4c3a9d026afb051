from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups import database, services


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the database and a manifest of the media folder into BACKUPS_DIR/<time>/, "
        "keeping the newest BACKUPS_KEEP backups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep", type=int, help="Keep this many backups instead of BACKUPS_KEEP.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = services.create(keep=options["keep"])
        except (database.DatabaseCopyFailed, OSError) as exc:
            raise CommandError(f"The backup failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written to {made.path} ({made.files} media files listed)."))
        if made.removed:
            self.stdout.write(f"Removed older backups: {', '.join(made.removed)}.")
