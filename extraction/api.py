"""The seed's extraction API: submit (202), list and read your own jobs; staff see the queue."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, field_serializer

from api.errors import refusals
from extraction import services
from extraction.forms import MAX_TRIM_S
from extraction.models import Extraction
from extraction.status import QueueStatus, queue_status
from web.types import AuthedRequest

router = Router(tags=["extractions"])
admin_router = Router(tags=["admin"])


# JSON bodies may carry NaN and Infinity (Python's json reads them): refuse them here, before any charge.
Trim = Annotated[float, Field(ge=0, le=MAX_TRIM_S, allow_inf_nan=False)]


class ExtractionIn(Schema):
    url: str = Field(max_length=4096)
    trim_start: Trim | None = None
    trim_end: Trim | None = None


class ExtractionOut(Schema):
    id: int
    url: str
    service: str
    service_id: str
    title: str
    status: str
    stage: str
    progress: int
    error: str
    sound_id: int | None
    attempts: int
    trim_start: float | None
    trim_end: float | None
    created_at: datetime
    updated_at: datetime
    status_url: str = Field(description="GET it to follow the job: `status`, `stage` and `progress` (0-100).")

    @staticmethod
    def resolve_status_url(obj: Extraction) -> str:
        return reverse("api:extraction", args=[obj.pk])

    @field_serializer("trim_start", "trim_end")
    def _finite(self, value: float | None) -> float | None:
        # Rows saved before trims were validated may hold NaN or infinities, which JSON can't carry: one bad
        # row must not make the whole list unreadable.
        return value if value is not None and math.isfinite(value) else None


@router.post("/", response={202: ExtractionOut}, openapi_extra=refusals(402))
def submit(request: AuthedRequest, payload: ExtractionIn) -> Status[Extraction]:
    job = services.submit(user=request.user, url=payload.url, trim_start=payload.trim_start, trim_end=payload.trim_end)
    return Status(202, job)


@router.get("/", response=list[ExtractionOut])
def list_mine(request: AuthedRequest) -> list[Extraction]:
    return list(Extraction.objects.for_user(request.user.pk)[:200])


@router.get("/{extraction_id}", response=ExtractionOut, url_name="extraction")
def get_one(request: AuthedRequest, extraction_id: int) -> Extraction:
    # Someone else's job does not exist, as far as you can tell.
    return get_object_or_404(Extraction, pk=extraction_id, user=request.user)


@admin_router.get("/extractions/status", response=QueueStatus)
def status(request: AuthedRequest) -> QueueStatus:
    if not request.user.is_staff:
        raise HttpError(403, "Admins only.")
    return queue_status()
