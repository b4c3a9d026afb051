from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups import services

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, which must be empty "
        "(or --force), then compare the media folder with the backup's manifest. Stop the other processes first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="The backup's folder name under BACKUPS_DIR, or its path.")
        parser.add_argument(
            "--force", action="store_true", help="Overwrite a database that already holds users, sounds or credits."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checked = services.check(services.find(options["backup"]))
            media = services.restore(checked, force=options["force"])
        except services.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Database restored from {checked.folder}."))
        self.stdout.write(f"Media: {media.same} file(s) as in the backup.")
        for label, paths in (("missing", media.missing), ("different from the backup", media.changed)):
            if paths:
                self.stdout.write(self.style.WARNING(f"{len(paths)} file(s) {label}; copy them back:"))
                for path in paths[:SHOWN]:
                    self.stdout.write(f"  {path}")
                if len(paths) > SHOWN:
                    self.stdout.write(f"  … and {len(paths) - SHOWN} more")
