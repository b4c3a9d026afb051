from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from credits.services import recharge_all


class Command(BaseCommand):
    help = "Grant each active user their plan's nightly credits (capped); safe to run twice for one day."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", dest="day", help="The day being recharged, YYYY-MM-DD (default: today, UTC).")

    def handle(self, *args: Any, day: str | None, **options: Any) -> None:
        try:
            when = date.fromisoformat(day) if day else timezone.now().date()
        except ValueError as exc:
            raise CommandError(f"--date must look like 2026-11-21, not {day!r}.") from exc
        result = recharge_all(day=when)
        self.stdout.write(f"{when}: {result['recharged']} user(s) recharged, {result['skipped']} already done.")
