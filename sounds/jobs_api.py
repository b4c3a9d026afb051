"""The API's answers to "how far is it": the work a scan, a normalization batch or a text-to-speech line
started, read by the `status_url` their POST answered (sounds/api.py). Mounted beside the sounds router."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from sounds import progress
from sounds.models import JobState, Scan, TtsJob
from web.types import AuthedRequest

router = Router(tags=["sounds"])


def _require_staff(request: AuthedRequest) -> None:
    if not request.user.is_staff:
        raise HttpError(403, "Only admins can do that.")


class TtsJobOut(Schema):
    id: int
    status: str = Field(description="pending, processing, done or failed (refunded).")
    error: str
    sound_id: int | None = Field(description="The new sound, once done.")
    created_at: datetime
    updated_at: datetime


@router.get("/tts/{int:job_id}", response=TtsJobOut, url_name="tts_job")
def tts_job(request: AuthedRequest, job_id: int) -> TtsJob:
    """One of your text-to-speech lines (someone else's does not exist, as far as you can tell)."""
    return get_object_or_404(TtsJob, pk=job_id, user=request.user)


class ScanOut(Schema):
    id: int
    status: str = Field(description="pending, processing, done or failed.")
    done: int = Field(description="Files looked at so far (while it runs; all of them once done).")
    total: int = Field(description="Files to look at (0 until the run has listed them).")
    counts: dict[str, int] = Field(description="Once done: how many files were added, updated, deleted…")
    error: str
    finished: bool
    created_at: datetime
    updated_at: datetime


@router.get("/scan/{int:scan_id}", response=ScanOut, url_name="scan_status")
def scan_status(request: AuthedRequest, scan_id: int) -> ScanOut:
    _require_staff(request)
    row = get_object_or_404(Scan, pk=scan_id)
    figures = progress.read(f"scan-{row.pk}")
    finished = row.status in (JobState.DONE, JobState.FAILED)
    return ScanOut(
        id=row.pk,
        status=row.status,
        done=figures.done if figures else 0,
        total=figures.total if figures else 0,
        counts=row.counts or {},
        error=row.error,
        finished=finished,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class BatchOut(Schema):
    batch: str
    total: int
    done: int = Field(description="Sounds finished, normalized or not.")
    failed: int = Field(description="Of those, the ones that could not be normalized.")
    finished: bool


@router.get("/normalize/batches/{batch}", response=BatchOut, url_name="normalization_batch")
def normalization_batch(request: AuthedRequest, batch: str) -> BatchOut:
    """A normalization batch's progress, kept for a day (each sound's own state is in its `normalization_status`)."""
    _require_staff(request)
    figures = progress.read(batch) if batch.startswith("normalize-") else None
    if figures is None:
        raise HttpError(404, "No such normalization batch (they are kept for a day).")
    return BatchOut(
        batch=batch, total=figures.total, done=figures.done, failed=figures.failed, finished=figures.finished
    )
