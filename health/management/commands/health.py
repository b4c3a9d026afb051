"""`manage.py health`: the checks of /health/, run in this process, one line each; exit 1 when any fails.

For a cron job, a systemd watchdog or a deploy script on a machine where the web process may be down.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from health_check.base import HealthCheckResult

from health import players
from health.checks import all_checks, report_line


async def _run(rooms: list[str]) -> list[HealthCheckResult]:
    return list(await asyncio.gather(*(check.get_result() for check in all_checks(rooms=rooms, versions=True))))


class Command(BaseCommand):
    help = "Check the database, Redis, the player, the Celery workers and free disk; exit 1 if any is down."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the JSON /health/?format=json answers")

    def handle(self, *args: Any, **options: Any) -> None:
        # django-health-check logs each failed check with its traceback; the report below already names it.
        logging.getLogger("health_check").setLevel(logging.ERROR)
        results = asyncio.run(_run(players.rooms()))
        if options["json"]:
            report = {repr(r.check): "OK" if r.error is None else str(r.error) for r in results}
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for result in results:
                self.stdout.write(report_line(result.check, result.error))
        down = [repr(r.check) for r in results if r.error is not None]
        if down:
            raise CommandError(f"Down: {', '.join(down)}", returncode=1)
