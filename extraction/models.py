"""Audio extraction jobs: a link in, a normalized sound out."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Status(models.TextChoices):
    PENDING = "pending", "Waiting"
    PROCESSING = "processing", "Working"
    COMPLETED = "completed", "Done"
    FAILED = "failed", "Failed"


ACTIVE = (Status.PENDING, Status.PROCESSING)


class ExtractionQuerySet(models.QuerySet["Extraction"]):
    def active(self) -> ExtractionQuerySet:
        return self.filter(status__in=ACTIVE)

    def for_user(self, user_id: int) -> ExtractionQuerySet:
        return self.filter(user_id=user_id)


class Extraction(models.Model):
    url = models.URLField(max_length=2048)
    service = models.CharField(max_length=50, blank=True)
    service_id = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    stage = models.CharField(max_length=40, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    # yt-dlp's warnings of the last run, one a line (for staff: a missing JavaScript runtime, formats that went
    # missing). Never shown to the user, who can act on none of them.
    warnings = models.TextField(blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extractions")
    sound = models.ForeignKey("sounds.Sound", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    # Who runs the job: a token set by the conditional UPDATE that claims it. Every later write of that run is
    # conditional on it, so a run whose job was taken over (its worker went quiet) can change nothing.
    claim = models.CharField(max_length=32, blank=True, default="")
    trim_start = models.FloatField(null=True, blank=True, help_text="Seconds.")
    trim_end = models.FloatField(null=True, blank=True, help_text="Seconds.")
    transaction_id = models.BigIntegerField(null=True, blank=True, help_text="The credit debit, for a refund.")
    # Bumped while a worker works on the job: the reaper retries jobs whose worker went quiet.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExtractionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["service", "service_id"], name="extraction_service_idx")]

    def __str__(self) -> str:
        return self.title or self.url

    @property
    def status_label(self) -> str:
        return Status(self.status).label
