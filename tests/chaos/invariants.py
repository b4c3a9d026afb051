"""What must hold after any crash once the sweeps have run: nothing stuck, money exact, no litter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from credits import services as credits
from credits.models import AttemptState, CreditAction, CreditTransaction
from extraction.models import Extraction, Status
from extraction.services import reap
from sounds.models import ACTIVE, Scan, Sound, TtsJob
from sounds.sweep import sweep


def sweep_as_beat() -> dict[str, Any]:
    """Every sweep beat runs each minute, called directly, as if their waiting periods had all passed."""
    later = timezone.now() + timedelta(
        seconds=1
        + max(
            settings.EXTRACTION_STALE_AFTER_S,
            settings.EXTRACTION_REQUEUE_AFTER_S,
            settings.SOUNDS_JOB_STALE_AFTER_S,
            settings.SOUNDS_JOB_REQUEUE_AFTER_S,
        )
    )
    return {
        "extraction": reap(now=later),
        "sounds": sweep(now=later),
        # Nothing is in flight when a test calls this: every pending attempt is abandoned.
        "attempts": credits.settle_abandoned_attempts(older_than=timedelta(0)),
    }


def jobs_settled() -> bool:
    return not (
        Extraction.objects.filter(status__in=[Status.PENDING, Status.PROCESSING]).exists()
        or Sound.objects.filter(normalization_status__in=ACTIVE).exists()
        or TtsJob.objects.filter(status__in=ACTIVE).exists()
        or Scan.objects.filter(status__in=ACTIVE).exists()
    )


def litter(sounds_root: Path) -> list[Path]:
    """Files a dead run left in the temporary folders (and half-written files beside the normalized ones)."""
    found = [*(sounds_root / "temp").glob("*"), *Path(settings.FILE_UPLOAD_TEMP_DIR).glob("*")]
    normalized = sounds_root / "normalized"
    found += [*normalized.rglob(".part-*"), *(p for p in normalized.rglob("tmp*") if p.is_dir())]
    return found


def assert_nothing_lost(users: list[User], sounds_root: Path) -> None:
    assert jobs_settled(), "a job is still pending or processing after the sweeps"
    assert not CreditTransaction.objects.filter(attempt=AttemptState.PENDING).exists()
    for job in Extraction.objects.filter(status=Status.FAILED, transaction_id__isnull=False):
        assert CreditTransaction.objects.filter(idempotency_key=f"refund:{job.transaction_id}").count() == 1, job
    for job in Extraction.objects.filter(status=Status.COMPLETED):
        assert job.sound_id is not None, job
    for user in users:
        user.refresh_from_db()
        total = CreditTransaction.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or 0
        assert total == user.credits, f"{user.email}: the ledger sums to {total}, the balance is {user.credits}"
        # Refunds never exceed what was taken for the same thing.
        refunded = CreditTransaction.objects.filter(user=user, action=CreditAction.REFUND)
        assert refunded.count() == len({tx.idempotency_key for tx in refunded})
    assert litter(sounds_root) == [], "orphan files in the temporary folders"
