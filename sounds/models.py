"""The sound library: every playable sound and every time one was played."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from core.claims import Claims
from sounds.paths import is_contained
from sounds.tags import Tag

MAX_VOLUME = 200  # percent: libvlc's own ceiling, and twice the normalized loudness is plenty
MAX_COOLDOWN_S = 24 * 3600


def default_cooldown() -> int:
    """A new sound's cooldown: the site's SOUND_COOLDOWN_S (0, none, unless set)."""
    return int(settings.SOUND_COOLDOWN_S)


class SoundType(models.TextChoices):
    SDB = "SDB", "Soundboard"
    TTS = "TTS", "Text to speech"
    EXT = "EXT", "Extracted"


# Folder of each type under originals/ and normalized/ (the seed's layout).
TYPE_FOLDERS: dict[str, str] = {
    SoundType.SDB: "soundboard",
    SoundType.TTS: "text_to_speech",
    SoundType.EXT: "extracted",
}


class JobState(models.TextChoices):
    """Where a background job of the library stands (a sound's normalization, a TTS line, a scan).

    pending → processing is one conditional UPDATE that takes a fresh claim token; processing → done or failed
    is conditional on that token, so a run whose job was taken over (its worker went quiet) changes nothing.
    """

    PENDING = "pending", "Waiting"
    PROCESSING = "processing", "Working"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def library_claims[M: models.Model](
    model: type[M], *, prefix: str = "", stamp_updated_at: bool = True, claimable: Q | None = None
) -> Claims[M]:
    """The claim rules every library job (normalization, TTS, scan) shares: JobState and the SOUNDS_JOB_* settings."""
    return Claims(
        model=model,
        pending=JobState.PENDING,
        processing=JobState.PROCESSING,
        failed=JobState.FAILED,
        finished=(JobState.DONE, JobState.FAILED),
        max_attempts_setting="SOUNDS_JOB_MAX_ATTEMPTS",
        takeover_after_setting="SOUNDS_JOB_TAKEOVER_AFTER_S",
        heartbeat_setting="SOUNDS_JOB_HEARTBEAT_S",
        prefix=prefix,
        stamp_updated_at=stamp_updated_at,
        claimable=claimable if claimable is not None else Q(),
    )


ACTIVE = (JobState.PENDING, JobState.PROCESSING)


class NormalizationMode(models.TextChoices):
    LINEAR = "linear", "Linear (two-pass)"
    DYNAMIC = "dynamic", "Dynamic"
    PEAK = "peak", "Peak/RMS gain (very short clip)"


def fold(text: str) -> str:
    """Lower-case without accents: what search compares, so "cafe" finds "Café"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean_name(text: str) -> str:
    """A display name on one line: control and format characters (CR/LF from a video title, bidi overrides,
    NUL) become spaces and runs of whitespace fold into one. Every place that makes a name uses it."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    return " ".join(text.split())


def humanize(filename: str) -> str:
    """'airhorn_LOUD-v2.mp3' -> 'Airhorn LOUD v2'."""
    stem = clean_name(Path(filename).stem)
    words = re.sub(r"[_\-.]+", " ", stem).split()
    text = " ".join(words).strip() or "Untitled"
    return text[0].upper() + text[1:]


def validate_relative_name(value: str) -> None:
    """A stored file name stays a plain relative path inside its folder: no `..`, no absolute path, no
    backslash or control characters. (Serving and playing also resolve the path; this keeps bad values out.)"""
    if not value:
        return
    parts = value.split("/")
    if (
        value.startswith("/")
        or "\\" in value
        or any(part in ("", ".", "..") for part in parts)
        or any(unicodedata.category(c) == "Cc" for c in value)
    ):
        raise ValidationError("%(value)s is not a plain file name inside the folder.", params={"value": value})


def inside(path: Path | None, root: Path) -> Path | None:
    """`path` resolved, when it (links followed) stays under `root`; else None."""
    if path is None or not is_contained(path, root):
        return None
    return path.resolve()


def originals_dir(sound_type: str) -> Path:
    return Path(settings.SOUNDS_ROOT) / "originals" / TYPE_FOLDERS[sound_type]


def normalized_dir(sound_type: str) -> Path:
    return Path(settings.SOUNDS_ROOT) / "normalized" / TYPE_FOLDERS[sound_type]


def thumbnails_dir() -> Path:
    """EXTRACTION_THUMBNAILS_DIR, or its default under SOUNDS_ROOT (read each time: tests move SOUNDS_ROOT)."""
    configured = settings.EXTRACTION_THUMBNAILS_DIR
    return Path(configured) if configured else Path(settings.SOUNDS_ROOT) / "originals" / "extracted" / "thumbnails"


# The library's orders: one list for the page's form, the API's query schema and the template.
class Sort(models.TextChoices):
    NAME = "name", "Name"
    POPULAR = "popular", "Most played"
    NEWEST = "newest", "Newest"
    LONGEST = "longest", "Longest"


SORTS: dict[str, tuple[str, ...]] = {
    Sort.NAME: ("search_name", "id"),
    Sort.POPULAR: ("-play_count", "search_name", "id"),
    Sort.NEWEST: ("-created_at", "-id"),
    Sort.LONGEST: ("-duration", "search_name", "id"),
}


class SoundQuerySet(models.QuerySet["Sound"]):
    def of_types(self, types: list[str] | tuple[str, ...]) -> SoundQuerySet:
        return self.filter(type__in=types)

    def search(self, query: str) -> SoundQuerySet:
        folded = fold(query.strip())
        return self.filter(search_name__contains=folded) if folded else self

    def sorted_by(self, sort: str) -> SoundQuerySet:
        return self.order_by(*SORTS.get(sort, SORTS[Sort.NAME]))

    def normalized(self) -> SoundQuerySet:
        return self.filter(is_normalized=True)

    def visible_to(self, user: Any) -> SoundQuerySet:
        """What `user` sees on the board: a sound whose normalization failed only to its uploader and staff."""
        if user.is_staff:
            return self
        return self.filter(Q(is_normalized=True) | ~Q(normalization_status=JobState.FAILED) | Q(uploaded_by=user.pk))

    def tagged(self, names: list[str] | tuple[str, ...]) -> SoundQuerySet:
        """Sounds carrying every one of `names` (one join per tag: a filter names a handful at most)."""
        qs = self
        for name in names:
            qs = qs.filter(tags__name=name)
        return qs

    def favorites_of(self, user_id: int) -> SoundQuerySet:
        return self.filter(favorites__user_id=user_id)

    def off_cooldown(self, now: Any) -> SoundQuerySet:
        return self.filter(Q(next_play_at__isnull=True) | Q(next_play_at__lte=now))

    def with_board_details(self) -> SoundQuerySet:
        """What a card or the API shows beyond the row: its tags (one query per page) and its uploader."""
        return self.select_related("uploaded_by").prefetch_related("tags")

    def uploaded_by_user(self, user_id: int) -> SoundQuerySet:
        return self.filter(uploaded_by=user_id, type=SoundType.SDB)

    def needing_normalization(self) -> SoundQuerySet:
        return self.filter(is_normalized=False)

    def normalization_active(self) -> SoundQuerySet:
        return self.filter(normalization_status__in=ACTIVE)


def may_edit(user: Any, uploaded_by_id: int | None) -> bool:
    """Sound.editable_by for a sound known by its uploader's id only (the board reads rows, not models)."""
    return bool(user.is_staff) or (uploaded_by_id is not None and uploaded_by_id == user.pk)


class Sound(models.Model):
    type = models.CharField(max_length=3, choices=SoundType.choices, default=SoundType.SDB, db_index=True)
    name = models.CharField(max_length=255)
    # Folded copy of name, kept in step by save(): search is a plain indexed LIKE, fast on any database.
    search_name = models.CharField(max_length=255, db_index=True, editable=False)
    filename = models.CharField(
        max_length=500,
        db_index=True,
        validators=[validate_relative_name],
        help_text="Relative to the type's originals folder.",
    )
    duration = models.PositiveIntegerField(default=0, help_text="Milliseconds.")
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    hash = models.CharField(max_length=64, help_text="SHA-256 of the original file.")
    # Size and mtime let a rescan skip unchanged files without reading them.
    file_mtime = models.FloatField(default=0)
    play_count = models.PositiveIntegerField(default=0)

    is_normalized = models.BooleanField(default=False, db_index=True)
    normalized_filename = models.CharField(max_length=500, blank=True, validators=[validate_relative_name])
    normalized_duration = models.PositiveIntegerField(null=True, blank=True)
    normalized_size = models.PositiveBigIntegerField(null=True, blank=True)
    normalized_hash = models.CharField(max_length=64, blank=True)
    loudness_i = models.FloatField("input integrated loudness (LUFS)", null=True, blank=True)
    loudness_tp = models.FloatField("input true peak (dBTP)", null=True, blank=True)
    loudness_lra = models.FloatField("input loudness range (LU)", null=True, blank=True)
    normalization_mode = models.CharField(max_length=10, choices=NormalizationMode.choices, blank=True)
    normalization_error = models.CharField(max_length=300, blank=True)
    # The normalization job (see JobState): `is_normalized` says a current normalized file exists, this says
    # whether work on it is waiting, running, finished or given up (a forced re-normalization of a normalized
    # sound is pending while the old file still plays).
    normalization_status = models.CharField(
        max_length=10, choices=JobState.choices, default=JobState.PENDING, db_index=True
    )
    normalization_claim = models.CharField(max_length=32, blank=True, default="")
    normalization_attempts = models.PositiveSmallIntegerField(default=0)
    # The job's last sign of life: queued, claimed, or beating while ffmpeg works. The sweep re-sends a pending
    # job quiet for too long (its message was lost) and retries a processing one (its worker died).
    normalization_heartbeat_at = models.DateTimeField(null=True, blank=True)

    thumbnail = models.CharField(
        max_length=500, blank=True, validators=[validate_relative_name], help_text="Relative to the thumbnails folder."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploaded_sounds"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="sounds")
    # What the room hears, in percent of the normalized level (the player applies it to the clip).
    volume = models.PositiveSmallIntegerField(default=100, validators=[MaxValueValidator(MAX_VOLUME)])
    # After each play nobody can play this sound again for this long; `next_play_at` is when it frees up, taken
    # by one conditional UPDATE so two plays at once can't both pass (see sounds.cooldowns).
    cooldown_s = models.PositiveIntegerField(default=default_cooldown, validators=[MaxValueValidator(MAX_COOLDOWN_S)])
    next_play_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Its face on the board: one emoji, or a #rrggbb colour (sounds.faces checks both).
    emoji = models.CharField(max_length=16, blank=True)
    color = models.CharField(max_length=7, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SoundQuerySet.as_manager()

    class Meta:
        ordering = ["search_name", "id"]
        constraints = [
            models.UniqueConstraint("hash", name="uq_sound_hash"),
            models.UniqueConstraint("type", "filename", name="uq_sound_type_filename"),
            models.CheckConstraint(condition=Q(volume__lte=MAX_VOLUME), name="sound_volume_range"),
            models.CheckConstraint(condition=Q(cooldown_s__lte=MAX_COOLDOWN_S), name="sound_cooldown_range"),
        ]
        indexes = [
            models.Index(fields=["type", "search_name"], name="sound_type_name_idx"),
            models.Index(fields=["-play_count", "search_name"], name="sound_popular_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Whatever code path sets them, a name is one clean line and file names stay inside their folders.
        self.name = clean_name(self.name)[:255]
        for value in (self.filename, self.normalized_filename, self.thumbnail):
            validate_relative_name(value)
        self.search_name = fold(self.name)[:255]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def original_path(self) -> Path:
        return originals_dir(self.type) / self.filename

    @property
    def normalized_path(self) -> Path | None:
        return normalized_dir(self.type) / self.normalized_filename if self.normalized_filename else None

    @property
    def thumbnail_path(self) -> Path | None:
        return thumbnails_dir() / self.thumbnail if self.thumbnail else None

    @property
    def thumbnail_url(self) -> str:
        """Where a page or program gets the sound's picture (a small JPEG, served with an image type by
        `/api/v1/files/sounds/<id>/thumbnail`, for signed-in users); "" when it has none."""
        return reverse("api:sound_thumbnail", kwargs={"sound_id": self.pk}) if self.thumbnail and self.pk else ""

    @property
    def normalization_failed(self) -> bool:
        return self.normalization_status == JobState.FAILED and not self.is_normalized

    def safe_original_path(self) -> Path | None:
        return inside(self.original_path, originals_dir(self.type))

    def safe_normalized_path(self) -> Path | None:
        return inside(self.normalized_path, normalized_dir(self.type))

    def safe_thumbnail_path(self) -> Path | None:
        return inside(self.thumbnail_path, thumbnails_dir())

    def playable_path(self) -> Path | None:
        """The file to play or serve: the normalized one when it exists, else the original while it waits.

        None when the file is missing, when a stored name leads out of its folder, or when normalization
        failed: such a sound is never played raw (it may be far too loud, or not what it claims to be).
        """
        if self.normalization_failed:
            return None
        normalized = self.safe_normalized_path()
        if self.is_normalized and normalized is not None and normalized.is_file():
            return normalized
        original = self.safe_original_path()
        return original if original is not None and original.is_file() else None

    def editable_by(self, user: Any) -> bool:
        """The person who added a sound, and staff, may rename or delete it."""
        return may_edit(user, self.uploaded_by_id)

    def mark_played(self) -> None:
        # F() so concurrent plays never lose a count.
        Sound.objects.filter(pk=self.pk).update(play_count=F("play_count") + 1)


class Favorite(models.Model):
    """A user's star on a sound: the board's "Favourites" filter and `is_favorite` in the API."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites")
    sound = models.ForeignKey(Sound, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("user", "sound", name="uq_favorite_user_sound")]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.sound_id}"


class PlaySource(models.TextChoices):
    BOARD = "board", "Soundboard"
    PLAYER = "player", "Music player"
    API = "api", "API"


class SoundPlayedQuerySet(models.QuerySet["SoundPlayed"]):
    def since(self, moment: object) -> SoundPlayedQuerySet:
        return self.filter(played_at__gte=moment)

    def by_user(self, user_id: int) -> SoundPlayedQuerySet:
        return self.filter(user_id=user_id)

    def from_source(self, source: str) -> SoundPlayedQuerySet:
        return self.filter(source=source)

    def in_room(self, slug: str) -> SoundPlayedQuerySet:
        return self.filter(room__slug=slug)


class SoundPlayed(models.Model):
    sound = models.ForeignKey(Sound, on_delete=models.CASCADE, related_name="plays")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="plays"
    )
    source = models.CharField(max_length=10, choices=PlaySource.choices, default=PlaySource.BOARD, db_index=True)
    played_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Where it was heard. A string reference: sounds doesn't import the player. A deleted room's plays stay in the
    # history (and the totals) without a room.
    room = models.ForeignKey("player.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = SoundPlayedQuerySet.as_manager()

    class Meta:
        ordering = ["-played_at"]
        indexes = [
            models.Index(fields=["sound", "played_at"], name="played_sound_time_idx"),
            # A person's own dashboard figures (their plays this week, their top sounds) read only their rows.
            models.Index(fields=["user", "played_at"], name="played_user_time_idx"),
            models.Index(fields=["user", "sound"], name="played_user_sound_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=["board", "player", "api"]), name="played_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.sound_id} at {self.played_at:%Y-%m-%d %H:%M}"


class TtsJob(models.Model):
    """One text-to-speech request: charged when made, claimed by one worker run, refunded once if it fails.

    The user's cap on waiting lines counts these rows, so a line whose message was lost still counts (and the
    sweep sends it again) instead of vanishing with a Redis key.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tts_jobs")
    text = models.CharField(max_length=500)
    voice = models.CharField(max_length=40)
    speed = models.PositiveSmallIntegerField()
    transaction_id = models.BigIntegerField(null=True, blank=True, help_text="The credit debit, for a refund.")
    status = models.CharField(max_length=10, choices=JobState.choices, default=JobState.PENDING, db_index=True)
    claim = models.CharField(max_length=32, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    sound = models.ForeignKey(Sound, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:60]


class Scan(models.Model):
    """One scan of the sound folders. At most one is waiting or running (a partial unique constraint): a scan
    whose worker died stops counting once its heartbeat is stale, and staff see every scan's state."""

    status = models.CharField(max_length=10, choices=JobState.choices, default=JobState.PENDING, db_index=True)
    # True while pending or processing, NULL once finished: the unique constraint lets one row at a time hold
    # it, so two scans can't both start (every move to done or failed clears it in the same UPDATE).
    active = models.BooleanField(null=True, default=True, editable=False)
    types = models.JSONField(default=list, blank=True)
    claim = models.CharField(max_length=32, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counts = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="uq_one_active_scan"),
        ]

    def __str__(self) -> str:
        return f"scan {self.pk} ({self.status})"
