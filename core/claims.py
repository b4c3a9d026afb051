"""Jobs as claimed rows: what extraction, normalization, text to speech and scans share.

A job is a row. A run takes it with one conditional UPDATE (pending, or processing whose run has been quiet
for the takeover age, → processing with a fresh claim token and attempts + 1), so two workers, or a sweep and
a redelivered message, can never both hold it. Every later write of the run is conditional on its token: a
run whose job was taken over (its worker looked dead) changes nothing and stops with `Lost`. A heartbeat
thread keeps the row fresh while ffmpeg, yt-dlp or espeak-ng work without reporting progress.

The apps own their rows and say how they are shaped (`Claims`): the field names, the states, and the names of
the settings for the attempt limit, the takeover age and the heartbeat. Settings are read at each use, so a
changed setting (a test's override) counts at once. What a failed job also means (a refund, an event) stays
with the app: it passes a `give_up` callback.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)

GIVE_UP = "The job kept stopping half-way; giving up after several attempts."


class Outcome(StrEnum):
    RAN = "ran"  # this run claimed the job and ran it to its end
    BUSY = "busy"  # another run holds it and is still beating: try again later
    DONE = "done"  # finished already (a redelivered message), or given up after too many attempts
    GONE = "gone"


class Lost(Exception):
    """This run's claim was taken over (its worker looked dead): stop without writing anything."""


def new_token() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Claims[M: models.Model]:
    """How one kind of job row is claimed."""

    model: type[M]
    pending: str
    processing: str
    failed: str
    finished: tuple[str, ...]  # the end states (done or failed): a message for such a job is a duplicate
    max_attempts_setting: str
    takeover_after_setting: str
    heartbeat_setting: str
    prefix: str = ""  # the fields are `{prefix}status`, `{prefix}claim`, `{prefix}attempts`, `{prefix}heartbeat_at`
    stamp_updated_at: bool = True  # also set `updated_at` on every move (a row that shows when it last changed)
    claimable: Q = field(default_factory=Q)  # a further condition on a claim (a scan must still be active)

    # --- names and limits --------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        return f"{self.prefix}status"

    @property
    def claim_field(self) -> str:
        return f"{self.prefix}claim"

    @property
    def attempts(self) -> str:
        return f"{self.prefix}attempts"

    @property
    def heartbeat_field(self) -> str:
        return f"{self.prefix}heartbeat_at"

    def max_attempts(self) -> int:
        return int(getattr(settings, self.max_attempts_setting))

    def quiet_since(self, now: datetime) -> datetime:
        """A processing job that has not beaten since then may be taken over by a redelivered message."""
        return now - timedelta(seconds=float(getattr(settings, self.takeover_after_setting)))

    def _stamped(self, now: datetime, fields: dict[str, Any]) -> dict[str, Any]:
        return {"updated_at": now, **fields} if self.stamp_updated_at else fields

    # --- the rows ------------------------------------------------------------------------------------------
    def rows(self) -> models.QuerySet[M]:
        return self.model._default_manager.all()

    def held(self, row: M) -> models.QuerySet[M]:
        """The row while this run holds it: every write of the run goes through it."""
        return self.rows().filter(
            pk=row.pk, **{self.status: self.processing, self.claim_field: getattr(row, self.claim_field)}
        )

    def as_seen(self, row: M) -> models.QuerySet[M]:
        """The row as long as nobody moved it since we read it (for a sweep's or a give-up's move)."""
        return self.rows().filter(
            pk=row.pk, **{self.status: getattr(row, self.status), self.claim_field: getattr(row, self.claim_field)}
        )

    # --- claim, write, give up --------------------------------------------------------------------------
    def claim(self, pk: int, *, give_up: Callable[[M, str], object]) -> M | Outcome:
        """Take the job for this run with one conditional UPDATE; past the attempt limit, `give_up(row, reason)`
        fails it instead (conditional on what it saw: see `fail_as_seen`)."""
        now = timezone.now()
        quiet = self.quiet_since(now)
        claimable = Q(**{self.status: self.pending}) | Q(
            **{self.status: self.processing, f"{self.heartbeat_field}__lt": quiet}
        )
        taken = (
            self.rows()
            .filter(claimable, self.claimable, pk=pk, **{f"{self.attempts}__lt": self.max_attempts()})
            .update(**self._stamped(now, {
                self.status: self.processing, self.claim_field: new_token(),
                self.attempts: F(self.attempts) + 1, self.heartbeat_field: now,
            }))
        )  # fmt: skip
        row = self.rows().filter(pk=pk).first()
        if row is None:
            return Outcome.GONE
        if taken:
            return row
        status = getattr(row, self.status)
        if status in self.finished:
            return Outcome.DONE
        beat = getattr(row, self.heartbeat_field)
        if getattr(row, self.attempts) >= self.max_attempts() and (
            status == self.pending or beat is None or beat < quiet
        ):
            give_up(row, GIVE_UP)
            return Outcome.DONE
        return Outcome.BUSY

    def write(self, row: M, **fields: Any) -> None:
        """Write for this run (and count it as a beat): conditional on its claim, else Lost."""
        now = timezone.now()
        fields = {self.heartbeat_field: now, **self._stamped(now, fields)}
        if not self.held(row).update(**fields):
            raise Lost
        for key, value in fields.items():
            setattr(row, key, value)

    def fail_as_seen(self, row: M, **fields: Any) -> bool:
        """Fail a job nobody holds any more, conditional on what we saw of it: of two sweeps, or a sweep and a
        run coming back to life, one moves it. True for the one that did (it refunds, it tells)."""
        failed = self.as_seen(row).update(**self._stamped(timezone.now(), {self.status: self.failed, **fields}))
        if failed:
            setattr(row, self.status, self.failed)
            for key, value in fields.items():
                setattr(row, key, value)
        return bool(failed)

    @contextmanager
    def heartbeat(self, row: M, label: str) -> Iterator[None]:
        """Beat on a timer while the body runs: a long conversion reports no progress, and a quiet job is taken
        over as dead. The thread closes its own database connection when it stops."""
        stop = threading.Event()
        rows = self.held(row)
        every = float(getattr(settings, self.heartbeat_setting))

        def beat() -> None:
            try:
                while not stop.wait(every):
                    rows.update(**{self.heartbeat_field: timezone.now()})
            except Exception:
                logger.warning("%s: heartbeat failed", label, exc_info=True)
            finally:
                connection.close()

        thread = threading.Thread(target=beat, name=f"{label}-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()

    # --- the sweep -----------------------------------------------------------------------------------------
    def retry_or_give_up(
        self,
        stale: models.QuerySet[M],
        now: datetime,
        *,
        give_up: Callable[[M, str], bool],
        enqueue: Callable[[int], object],
        **release: Any,
    ) -> tuple[int, int]:
        """Dead runs (`stale`: processing and quiet too long) go back to pending with a new message, once each;
        past the attempt limit they are given up. Returns (retried, failed)."""
        retried = failed = 0
        for row in stale:
            if getattr(row, self.attempts) >= self.max_attempts():
                failed += give_up(row, GIVE_UP)
            elif self.held(row).update(
                **self._stamped(
                    now, {self.status: self.pending, self.claim_field: "", self.heartbeat_field: now, **release}
                )
            ):
                transaction.on_commit(functools.partial(enqueue, row.pk))
                retried += 1
        return retried, failed

    def resend_lost(
        self,
        waiting: models.QuerySet[M],
        now: datetime,
        *,
        mark: str,
        enqueue: Callable[[int], object],
        batch: int | None = None,
    ) -> int:
        """Pending jobs nobody claimed (`waiting`: their `mark` is old) lost their message: one more each, and
        `mark` set to now so the next sweep waits again. A duplicate message is harmless: one run claims."""
        resent = 0
        for pk in waiting.order_by("pk").values_list("pk", flat=True)[:batch]:
            if waiting.filter(pk=pk).update(**{mark: now}):
                transaction.on_commit(functools.partial(enqueue, pk))
                resent += 1
        return resent
