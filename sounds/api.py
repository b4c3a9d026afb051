"""JSON API for the sound library: list, upload, scan, normalize, and the files."""

from __future__ import annotations

import math
from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import File, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field, StrictInt, field_validator

from api.errors import refusals
from api.pagination import MAX_PAGE, numbered_page
from core.errors import UserError
from player import client as commands
from player import rooms
from player.schemas import PlayRoomQuery, RoomQuery
from sounds import browse, cooldowns, scanner, services, speech, tts, uploads
from sounds.files import IMAGE_CONTENT_TYPES, serve_file
from sounds.models import MAX_COOLDOWN_S, MAX_VOLUME, PlaySource, Sort, Sound, SoundType
from sounds.tags import MAX_TAG_LENGTH, MAX_TAGS_PER_SOUND, NO_TAG, clean_tag
from sounds.upload_handlers import refused_files
from web.types import AuthedRequest

router = Router(tags=["sounds"])
files_router = Router(tags=["files"])

VALID_TYPES = {t.value for t in SoundType}


class SoundOut(Schema):
    id: int
    type: str
    name: str
    filename: str
    duration: int
    size: int
    hash: str
    play_count: int
    is_normalized: bool
    normalization_status: str
    normalized_duration: int | None
    normalization_mode: str
    created_at: datetime
    is_favorite: bool = False
    tags: list[str] = Field(default_factory=list)
    volume: int = Field(100, description="Percent of the normalized level the room hears (0-200).")
    cooldown_s: int = Field(0, description="Seconds after each play before anyone can play it again.")
    cooldown_remaining_s: int = Field(0, description="Seconds until it can play again (0: now).")
    emoji: str = ""
    color: str = Field("", description="#rrggbb, or empty.")
    uploaded_by: str | None = Field(None, description="Who added it (a display name), when known.")
    # The sound's picture (a small JPEG of an extracted sound's site picture), or "" when there is none.
    thumbnail_url: str = ""

    @classmethod
    def of(cls, sound: Sound, favorites: set[int]) -> SoundOut:
        """From a sound fetched `with_board_details()` (its tags and uploader loaded: no query per sound)."""
        plain = {name: getattr(sound, name) for name in _ROW_FIELDS}
        return cls(
            **plain,
            is_favorite=sound.pk in favorites,
            tags=[tag.name for tag in sound.tags.all()],
            cooldown_remaining_s=cooldowns.seconds_left(sound.next_play_at),
            uploaded_by=sound.uploaded_by.display_name if sound.uploaded_by is not None else None,
        )


# The fields SoundOut copies from the row as they are.
_ROW_FIELDS = (
    *("id", "type", "name", "filename", "duration", "size", "hash", "play_count", "is_normalized"),
    *("normalization_status", "normalized_duration", "normalization_mode", "created_at", "thumbnail_url"),
    *("volume", "cooldown_s", "emoji", "color"),
)


class SoundPage(Schema):
    items: list[SoundOut]
    total: int
    page: int
    pages: int
    page_size: int


DEFAULT_PAGE_SIZE = 50


class BoardFilters(Schema):
    """The board's filters, as the list and random play take them."""

    types: list[str] = Field(default_factory=list, description="Repeat for several: `?types=SDB&types=EXT`.")
    q: str = Field(default="", max_length=100, description="Part of the name; accents and case are ignored.")
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS_PER_SOUND, description="Sounds with all of them.")
    favorites: bool = Field(default=False, description="Only the sounds you starred.")

    def board(self) -> browse.Filters:
        # A tag that can't exist matches nothing, like an unknown type: cleaned names only, the rest dropped.
        return browse.Filters(
            q=self.q, types=tuple(self.types), tags=tuple(_tag_names(self.tags)), favorites=self.favorites
        )


def _tag_names(raw: list[str]) -> list[str]:
    names = []
    for value in raw:
        try:
            names.append(clean_tag(value))
        except UserError:
            names.append(NO_TAG)
    return names


class SoundFilters(BoardFilters):
    sort: Sort = Sort.NAME
    # Neither given: every sound in one answer, as the seed's API did (scripts and Stream Deck set-ups read the
    # whole list). Either given: that page, `page_size` defaulting to 50.
    page: int | None = Field(default=None, ge=1, le=MAX_PAGE, description="1 is the first page.")
    page_size: int | None = Field(default=None, ge=1, le=500, description=f"Default {DEFAULT_PAGE_SIZE} once paging.")

    def paging(self) -> tuple[int, int] | None:
        """(page, page_size) when a page was asked for, None for the whole list."""
        if self.page is None and self.page_size is None:
            return None
        return self.page or 1, self.page_size or DEFAULT_PAGE_SIZE


class Queued(Schema):
    detail: str
    queued: int = 0
    batch: str | None = Field(default=None, description="A normalization batch's id (see `status_url`).")
    job_id: int | None = Field(default=None, description="The scan's or the TTS line's id.")
    status_url: str | None = Field(default=None, description="GET it to follow the work: its state and progress.")


def _require_staff(request: AuthedRequest) -> None:
    if not request.user.is_staff:
        raise HttpError(403, "Only admins can do that.")


@router.get("/", response=SoundPage)
def list_sounds(request: AuthedRequest, filters: Query[SoundFilters]) -> SoundPage:
    """The sounds you can see, filtered and sorted.

    **Without `page` and `page_size` the answer holds every matching sound** (one database query, like the
    seed's API); with either of them it holds that page (`page_size` 50 unless given, at most 500) and `pages`
    says how many there are. A page past the end is empty; `page` below 1 or `page_size` outside 1 to 500 is a 400.
    """
    # Unknown types and tags simply match nothing (the seed's behaviour for types), rather than erroring.
    qs = browse.filtered(request.user, filters.board()).sorted_by(filters.sort).with_board_details()
    paging = filters.paging()
    if paging is None:
        items = list(qs)
        total, page, page_size = len(items), 1, len(items)
    else:
        page, page_size = paging
        items, total = numbered_page(qs, page=page, page_size=page_size)
    favorites = browse.favorite_ids(request.user.pk)
    return SoundPage(
        items=[SoundOut.of(s, favorites) for s in items],
        total=total,
        page=page,
        pages=max(1, math.ceil(total / page_size)) if page_size else 1,
        page_size=page_size,
    )


@router.get("/{int:sound_id}", response=SoundOut)
def get_sound(request: AuthedRequest, sound_id: int) -> SoundOut:
    return SoundOut.of(_visible_sound(request, sound_id), browse.favorite_ids(request.user.pk))


class SoundPatch(Schema):
    """What to change: send only the fields to change (a field left out keeps its value; null is refused)."""

    name: str | None = Field(default=None, max_length=255, description="A blank name is refused.")
    tags: list[str] | None = Field(
        default=None,
        max_length=MAX_TAGS_PER_SOUND * 4,  # the service says "at most 10"; this only keeps huge lists out
        description=f"The whole set (replaces it): at most {MAX_TAGS_PER_SOUND}, each 1-{MAX_TAG_LENGTH} characters.",
    )
    # Strict: true is not 1 per cent, nor "50" a number.
    volume: StrictInt | None = Field(default=None, description=f"Percent of the normalized level, 0 to {MAX_VOLUME}.")
    cooldown_s: StrictInt | None = Field(default=None, description=f"Seconds after each play, 0 to {MAX_COOLDOWN_S}.")
    emoji: str | None = Field(default=None, max_length=64, description="One emoji, or empty for none.")
    color: str | None = Field(default=None, max_length=64, description="#rrggbb, or empty for none.")

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only on fields that were sent: leaving a field out keeps it, sending null would be ambiguous.
        if value is None:
            raise ValueError("leave the field out to keep it; null is not a value")
        return value


@router.patch("/{int:sound_id}", response=SoundOut, openapi_extra=refusals(429))
def edit_sound(request: AuthedRequest, sound_id: int, payload: SoundPatch) -> SoundOut:
    """Change a sound you added (staff: any sound). One bad value refuses the whole change (400)."""
    sound = services.sound_for_editing(user=request.user, sound_id=sound_id)
    services.edit_sound(sound=sound, user=request.user, **payload.model_dump(exclude_unset=True))
    sound = Sound.objects.with_board_details().get(pk=sound.pk)
    return SoundOut.of(sound, browse.favorite_ids(request.user.pk))


@router.delete("/{int:sound_id}", response={204: None}, openapi_extra=refusals(429))
def delete_sound(request: AuthedRequest, sound_id: int) -> Status[None]:
    """Delete a sound you added (staff: any sound), with its files; open boards are told."""
    sound = services.sound_for_editing(user=request.user, sound_id=sound_id)
    services.delete_sound(sound=sound, user=request.user)
    return Status(204, None)


@router.post("/upload", response={201: SoundOut}, openapi_extra=refusals(409))
def upload_sound(request: AuthedRequest, file: File[UploadedFile | None] = None) -> Status[SoundOut]:
    # Optional for the parser only: a file the upload handler stopped is absent, and deserves its 413.
    refused = refused_files(request)
    if refused:
        raise refused[0]
    if file is None:
        raise HttpError(400, "file: Field required")
    sound = uploads.import_upload(uploaded=file, user=request.user)
    uploads.announce_added()
    return Status(201, SoundOut.of(sound, set()))


class PlayOut(Schema):
    detail: str
    playback_id: str
    sound_id: int
    credits: int
    rooms: list[str] = Field(description="Where it plays: the room, or every room that played an announcement.")

    @classmethod
    def of(cls, result: commands.PlayResult) -> PlayOut:
        return cls(
            detail=f"Playing “{result.sound.name}”.",
            playback_id=result.playback_id,
            sound_id=result.sound.pk,
            credits=result.balance,
            rooms=list(result.rooms),
        )


@router.post("/play/random", response=PlayOut, openapi_extra=refusals(402, 423, 503))
def play_random(request: AuthedRequest, filters: Query[BoardFilters], room: PlayRoomQuery = None) -> PlayOut:
    """Play one sound picked at random among those the filters show (one play's cost; 404 when none)."""
    slug = rooms.resolve(user=request.user, requested=room, announcement=True)
    among = browse.filtered(request.user, filters.board())
    result = commands.play_random(user=request.user, among=among, room=slug, source=PlaySource.API)
    return PlayOut.of(result)


@router.post("/play/{sound_id}", response=PlayOut, openapi_extra=refusals(402, 423, 503))
def play(request: AuthedRequest, sound_id: int, room: PlayRoomQuery = None) -> PlayOut:
    """Play the sound in a room (`?room=`), or as staff in every online room at once (`?room=*`: charged once,
    refunded only if no room played it)."""
    slug = rooms.resolve(user=request.user, requested=room, announcement=True)
    result = commands.play_sound(user=request.user, sound_id=sound_id, room=slug, source=PlaySource.API)
    return PlayOut.of(result)


class Stopped(Schema):
    detail: str


@router.post("/stop", response=Stopped, openapi_extra=refusals(503))
def stop(request: AuthedRequest, room: RoomQuery = None) -> Stopped:
    """Stop every instant clip in the room (the music player has its own stop)."""
    slug = rooms.resolve(user=request.user, requested=room)
    if not commands.is_online(slug):
        raise HttpError(503, f"The player of room “{slug}” is offline.")
    commands.stop_all(room=slug, user=request.user)
    return Stopped(detail=f"Stopped every sound in room “{slug}”.")


class TtsIn(Schema):
    text: str = Field(max_length=tts.MAX_CHARS)
    voice: str = tts.DEFAULT_VOICE
    speed: int = Field(default=tts.DEFAULT_SPEED, ge=tts.SPEEDS[0], le=tts.SPEEDS[1])


@router.post("/tts", response={202: Queued}, openapi_extra=refusals(402, 409, 503))
def text_to_speech(request: AuthedRequest, payload: TtsIn) -> Status[Queued]:
    job = speech.request_tts(user=request.user, text=payload.text, voice=payload.voice, speed=payload.speed)
    return Status(
        202,
        Queued(
            detail=f"Making “{job.text[:60]}”; it appears on the board when ready.",
            queued=1,
            job_id=job.pk,
            status_url=reverse("api:tts_job", args=[job.pk]),
        ),
    )


class VoiceOut(Schema):
    id: str  # what POST /tts takes as `voice`
    engine: str  # "piper" (neural) or "espeak-ng"
    language: str  # "en-us", "fr-fr"...
    label: str


@router.get("/tts/voices", response=list[VoiceOut])
def tts_voices(request: AuthedRequest) -> list[VoiceOut]:
    """Every voice POST /tts accepts: Piper's neural voices first, then espeak-ng's."""
    return [VoiceOut(id=v.code, engine=v.engine, language=v.language, label=v.label) for v in tts.voices()]


@router.post("/scan", response={202: Queued}, openapi_extra=refusals(409, 503))
def scan_sounds(request: AuthedRequest) -> Status[Queued]:
    _require_staff(request)
    row = scanner.request_scan(user_id=request.user.pk)  # ScanAlreadyRunning is a 409 refusal
    return Status(
        202,
        Queued(
            detail="Scan started; staff browsers show its progress and report.",
            job_id=row.pk,
            status_url=reverse("api:scan_status", args=[row.pk]),
        ),
    )


def _queue(request: AuthedRequest, ids: list[int], force: bool, one_pass: bool | None) -> Status[Queued]:
    batch = services.queue_normalization(ids, force=force, one_pass=one_pass, user_id=request.user.pk)
    return Status(
        202,
        Queued(
            detail=f"{len(ids)} sound(s) queued for normalization.",
            queued=len(ids),
            batch=batch,
            status_url=reverse("api:normalization_batch", args=[batch]) if batch else None,
        ),
    )


@router.post("/normalize/all", response={202: Queued})
def normalize_all(request: AuthedRequest, force: bool = False, one_pass: bool | None = None) -> Status[Queued]:
    _require_staff(request)
    qs = Sound.objects.all() if force else Sound.objects.needing_normalization()
    return _queue(request, list(qs.values_list("pk", flat=True)), force, one_pass)


@router.post("/normalize/type/{sound_type}", response={202: Queued})
def normalize_type(
    request: AuthedRequest, sound_type: str, force: bool = False, one_pass: bool | None = None
) -> Status[Queued]:
    _require_staff(request)
    if sound_type not in VALID_TYPES:
        raise HttpError(400, f"Unknown sound type {sound_type!r}; use one of {', '.join(sorted(VALID_TYPES))}.")
    qs = Sound.objects.of_types([sound_type])
    if not force:
        qs = qs.needing_normalization()
    return _queue(request, list(qs.values_list("pk", flat=True)), force, one_pass)


@router.post("/normalize/{sound_id}", response={202: Queued})
def normalize_one(
    request: AuthedRequest, sound_id: int, force: bool = False, one_pass: bool | None = None
) -> Status[Queued]:
    _require_staff(request)
    sound = get_object_or_404(Sound, pk=sound_id)
    return _queue(request, [sound.pk], force, one_pass)


def _visible_sound(request: AuthedRequest, sound_id: int) -> Sound:
    return get_object_or_404(Sound.objects.visible_to(request.user), pk=sound_id)


def _audio_answer(request: AuthedRequest, sound_id: int, *, inline: bool) -> HttpResponse:
    sound = _visible_sound(request, sound_id)
    path = sound.playable_path()
    if path is None:
        raise HttpError(404, "The sound's file is missing.")
    return serve_file(request, path, download_name=f"{sound.name}{path.suffix}", inline=inline)


@files_router.get("/sounds/{sound_id}/download", url_name="sound_download")
def download(request: AuthedRequest, sound_id: int) -> HttpResponse:
    """The sound's file as an attachment (the normalized one when there is one)."""
    return _audio_answer(request, sound_id, inline=False)


@files_router.get("/sounds/{sound_id}/preview", url_name="sound_preview")
def preview(request: AuthedRequest, sound_id: int) -> HttpResponse:
    """The same file inline, for the page's audio element; anything not of an audio type is still an attachment."""
    return _audio_answer(request, sound_id, inline=True)


@files_router.get("/sounds/{sound_id}/thumbnail", url_name="sound_thumbnail")
def thumbnail(request: AuthedRequest, sound_id: int) -> HttpResponse:
    sound = _visible_sound(request, sound_id)
    path = sound.safe_thumbnail_path()
    if path is None or not path.is_file():
        raise HttpError(404, "This sound has no thumbnail.")
    return serve_file(
        request,
        path,
        download_name=f"{sound.name}{path.suffix}",
        allowed_types=IMAGE_CONTENT_TYPES,
        max_age=3600,
    )


# --- Favourites and tags ------------------------------------------------------------------------------------
class FavoriteOut(Schema):
    detail: str
    sound_id: int
    is_favorite: bool


@router.post("/{sound_id}/favorite", response=FavoriteOut)
def favorite(request: AuthedRequest, sound_id: int) -> FavoriteOut:
    """Star a sound (starring it again changes nothing)."""
    sound = browse.set_favorite(user=request.user, sound_id=sound_id, on=True)
    return FavoriteOut(detail=f"“{sound.name}” is in your favourites.", sound_id=sound.pk, is_favorite=True)


@router.delete("/{sound_id}/favorite", response=FavoriteOut)
def unfavorite(request: AuthedRequest, sound_id: int) -> FavoriteOut:
    sound = browse.set_favorite(user=request.user, sound_id=sound_id, on=False)
    return FavoriteOut(detail=f"“{sound.name}” is no longer a favourite.", sound_id=sound.pk, is_favorite=False)


class TagOut(Schema):
    name: str
    sounds: int


tags_router = Router(tags=["sounds"])


@tags_router.get("/tags", response=list[TagOut])
def list_tags(request: AuthedRequest) -> list[TagOut]:
    """Every tag on at least one sound, by name, with how many sounds carry it."""
    return [TagOut(name=name, sounds=uses) for name, uses in browse.tags_in_use()]
