"""Playlist pages: list and create, detail with add/remove/reorder, and "play this playlist"."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from playlists import services
from playlists.forms import (
    AddSoundForm,
    DetailPartForm,
    MoveForm,
    PickerForm,
    PlaylistForm,
    ReorderForm,
    checked,
)
from playlists.models import Playlist
from sounds.models import Sound
from web.toasts import add_toast
from web.types import AuthedRequest


def _editable(request: AuthedRequest, playlist_id: int) -> Playlist:
    playlist = get_object_or_404(Playlist, pk=playlist_id)
    if not playlist.can_edit(request.user):
        raise Http404  # someone else's playlist: not theirs to know about for editing
    return playlist


def _detail_context(request: AuthedRequest, playlist: Playlist, *, items_only: bool = False) -> dict[str, object]:
    return {
        # The items part alone (htmx) also carries the play button, out of band: it is enabled only with items.
        "items_only": items_only,
        "playlist": playlist,
        "items": playlist.items.select_related("sound"),
        "total_ms": playlist.total_duration(),
        "can_edit": playlist.can_edit(request.user),
        "form": PlaylistForm(initial={"name": playlist.name, "description": playlist.description}),
    }


def _items_response(request: AuthedRequest, playlist: Playlist, toast: str = "") -> HttpResponse:
    if request.htmx:
        response = render(request, "playlists/detail.html#items", _detail_context(request, playlist, items_only=True))
        return add_toast(response, toast) if toast else response
    if toast:
        messages.success(request, toast)
    return redirect("playlists:detail", playlist_id=playlist.pk)


# A PlaylistError (a UserError) raised here is answered by web.refusals: a toast for htmx, a message and a
# redirect back otherwise.


@require_http_methods(["GET", "POST"])
def playlist_list(request: AuthedRequest) -> HttpResponse:
    form = PlaylistForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        playlist = services.create_playlist(
            owner=request.user, name=form.cleaned_data["name"], description=form.cleaned_data["description"]
        )
        messages.success(request, f"Playlist “{playlist.name}” created.")
        return redirect("playlists:detail", playlist_id=playlist.pk)
    playlists = Playlist.objects.select_related("owner").annotate(
        count=Count("items"), total=Sum("items__sound__duration")
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "playlists/list.html", {"playlists": playlists, "form": form}, status=status)


@require_GET
def detail(request: AuthedRequest, playlist_id: int) -> HttpResponse:
    playlist = get_object_or_404(Playlist, pk=playlist_id)
    if request.htmx and DetailPartForm(request.GET).wanted() == "items":
        return render(request, "playlists/detail.html#items", _detail_context(request, playlist, items_only=True))
    return render(request, "playlists/detail.html", _detail_context(request, playlist))


@require_POST
def update(request: AuthedRequest, playlist_id: int) -> HttpResponse:
    playlist = _editable(request, playlist_id)
    form = PlaylistForm(request.POST)
    if not form.is_valid():
        raise services.PlaylistError("Give the playlist a name of at most 100 characters.")
    services.update_playlist(
        playlist=playlist, name=form.cleaned_data["name"], description=form.cleaned_data["description"]
    )
    messages.success(request, "Playlist saved.")
    return redirect("playlists:detail", playlist_id=playlist.pk)


@require_POST
def delete(request: AuthedRequest, playlist_id: int) -> HttpResponse:
    playlist = _editable(request, playlist_id)
    services.delete_playlist(playlist=playlist)
    messages.success(request, f"Playlist “{playlist.name}” deleted.")
    return redirect("playlists:list")


@require_POST
def add(request: AuthedRequest, playlist_id: int) -> HttpResponse:
    playlist = _editable(request, playlist_id)
    sound_id = checked(AddSoundForm(request.POST)).cleaned_data["sound_id"]
    item = services.add_sound(playlist=playlist, sound_id=sound_id)
    return _items_response(request, playlist, f"Added “{item.sound.name}”.")


@require_POST
def remove(request: AuthedRequest, playlist_id: int, item_id: int) -> HttpResponse:
    playlist = _editable(request, playlist_id)
    services.remove_item(playlist=playlist, item_id=item_id)
    return _items_response(request, playlist, "Removed.")


@require_POST
def move(request: AuthedRequest, playlist_id: int, item_id: int) -> HttpResponse:
    playlist = _editable(request, playlist_id)
    offset = checked(MoveForm(request.POST)).offset()
    services.move(playlist=playlist, item_id=item_id, offset=offset)
    return _items_response(request, playlist)


@require_POST
def reorder(request: AuthedRequest, playlist_id: int) -> HttpResponse:
    playlist = _editable(request, playlist_id)
    ids = checked(ReorderForm(request.POST)).cleaned_data["item"]
    services.reorder(playlist=playlist, item_ids=ids)
    return _items_response(request, playlist, "Order saved.")


@require_GET
def picker(request: AuthedRequest, playlist_id: int) -> HttpResponse:
    playlist = _editable(request, playlist_id)
    query = PickerForm(request.GET).query()
    sounds = Sound.objects.search(query).sorted_by("name").only("id", "name", "duration", "type")[:20] if query else []
    return render(
        request, "playlists/detail.html#picker_results", {"playlist": playlist, "results": sounds, "q": query}
    )
