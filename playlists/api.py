"""JSON API for playlists: the same operations as the pages."""

from __future__ import annotations

from typing import Annotated

from django.conf import settings
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from api.errors import refusals
from playlists import services
from playlists.models import Playlist
from web.types import AuthedRequest

router = Router(tags=["playlists"])

# Database ids are 64-bit: a bigger number can't name a row (and SQLite raises instead of finding nothing).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class ItemOut(Schema):
    id: int
    sound_id: int
    name: str
    duration: int
    position: int


class PlaylistOut(Schema):
    id: int
    name: str
    description: str
    is_main: bool
    owner_id: int | None
    length: int
    total_duration: int
    items: list[ItemOut] = Field(default_factory=list)

    @classmethod
    def of(cls, playlist: Playlist, with_items: bool = True) -> PlaylistOut:
        items = list(playlist.items.select_related("sound")) if with_items else []
        return cls(
            id=playlist.pk,
            name=playlist.name,
            description=playlist.description,
            is_main=playlist.is_main,
            owner_id=playlist.owner_id,
            length=len(items) if with_items else playlist.items.count(),
            total_duration=playlist.total_duration(),
            items=[
                ItemOut(id=i.pk, sound_id=i.sound_id, name=i.sound.name, duration=i.sound.duration, position=i.position)
                for i in items
            ],
        )


class PlaylistIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=1000)


class AddIn(Schema):
    sound_id: Id


class OrderIn(Schema):
    item_ids: list[Id] = Field(max_length=settings.PLAYLIST_MAX_ITEMS)


def _editable(request: AuthedRequest, playlist_id: int) -> Playlist:
    playlist = get_object_or_404(Playlist, pk=playlist_id)
    if not playlist.can_edit(request.user):
        raise HttpError(403, "Only the owner or an admin can change this playlist.")
    return playlist


@router.get("/", response=list[PlaylistOut])
def list_playlists(request: AuthedRequest) -> list[PlaylistOut]:
    return [PlaylistOut.of(p, with_items=False) for p in Playlist.objects.all()]


@router.post("/", response={201: PlaylistOut}, openapi_extra=refusals(409))
def create(request: AuthedRequest, payload: PlaylistIn) -> Status[PlaylistOut]:
    playlist = services.create_playlist(owner=request.user, name=payload.name, description=payload.description)
    return Status(201, PlaylistOut.of(playlist))


@router.get("/{playlist_id}", response=PlaylistOut)
def get(request: AuthedRequest, playlist_id: PathId) -> PlaylistOut:
    return PlaylistOut.of(get_object_or_404(Playlist, pk=playlist_id))


@router.patch("/{playlist_id}", response=PlaylistOut)
def update(request: AuthedRequest, playlist_id: PathId, payload: PlaylistIn) -> PlaylistOut:
    playlist = _editable(request, playlist_id)
    services.update_playlist(playlist=playlist, name=payload.name, description=payload.description)
    return PlaylistOut.of(playlist)


@router.delete("/{playlist_id}", response={204: None}, openapi_extra=refusals(409))
def delete(request: AuthedRequest, playlist_id: PathId) -> Status[None]:
    playlist = _editable(request, playlist_id)
    services.delete_playlist(playlist=playlist)
    return Status(204, None)


@router.post("/{playlist_id}/sounds", response={201: PlaylistOut}, openapi_extra=refusals(409))
def add_sound(request: AuthedRequest, playlist_id: PathId, payload: AddIn) -> Status[PlaylistOut]:
    playlist = _editable(request, playlist_id)
    services.add_sound(playlist=playlist, sound_id=payload.sound_id)
    return Status(201, PlaylistOut.of(playlist))


@router.delete("/{playlist_id}/sounds/{item_id}", response=PlaylistOut)
def remove_sound(request: AuthedRequest, playlist_id: PathId, item_id: PathId) -> PlaylistOut:
    playlist = _editable(request, playlist_id)
    services.remove_item(playlist=playlist, item_id=item_id)
    return PlaylistOut.of(playlist)


@router.put("/{playlist_id}/order", response=PlaylistOut)
def reorder(request: AuthedRequest, playlist_id: PathId, payload: OrderIn) -> PlaylistOut:
    playlist = _editable(request, playlist_id)
    services.reorder(playlist=playlist, item_ids=payload.item_ids)
    return PlaylistOut.of(playlist)
