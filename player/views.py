"""Instant play on the server's speakers, stop-all, the player bar's buttons and the player page.

Every page acts on the person's chosen room (`player.rooms.chosen`); the API also takes `?room=`.

Refusals (UserError: offline, rate limit, no credits, bad input) are not caught here: the one refusal path
(web.refusals) answers them, a toast for htmx and a message and redirect back otherwise.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.errors import UserError
from player import client, rooms
from player import queue as up_next
from player.forms import SETTINGS, MusicForm, PageForm, QueueAddForm, QueueMoveForm, QueueOrderForm, RoomChoiceForm
from playlists.services import tracks_of
from sounds import browse
from sounds.forms import LibraryFilterForm
from sounds.models import PlaySource, Sound
from web.toasts import add_toast
from web.types import AuthedRequest


def _done(request: AuthedRequest, text: str) -> HttpResponse:
    if request.htmx:
        return add_toast(HttpResponse(status=204), text, "success")
    messages.success(request, text)
    return redirect("home")


def _room(request: AuthedRequest) -> str:
    return rooms.chosen_slug(request.user)


@require_POST
def play(request: AuthedRequest, sound_id: int) -> HttpResponse:
    result = client.play_sound(user=request.user, sound_id=sound_id, room=_room(request), source=PlaySource.BOARD)
    left = f"{result.balance} credit{'s' if result.balance != 1 else ''} left"
    return _done(request, f"Playing “{result.sound.name}” · {left}")


@require_POST
def play_random(request: AuthedRequest) -> HttpResponse:
    """The board's Random button: one sound among those its filters show, played and paid like a click."""
    among = browse.filtered(request.user, LibraryFilterForm(request.POST).board_filters())
    result = client.play_random(user=request.user, among=among, room=_room(request), source=PlaySource.BOARD)
    left = f"{result.balance} credit{'s' if result.balance != 1 else ''} left"
    return _done(request, f"Playing “{result.sound.name}” (picked at random) · {left}")


@require_POST
def stop_all(request: AuthedRequest) -> HttpResponse:
    room = _room(request)
    if not client.is_online(room):
        raise UserError(f"The player of room “{room}” is offline.", 503)
    client.stop_all(room=room, user=request.user)
    if request.htmx:
        # Every open tab, this one included, hears "Every sound was stopped" live: a toast here made two.
        return HttpResponse(status=204)
    return _done(request, "Stopped every sound.")


@require_POST
def music(request: AuthedRequest) -> HttpResponse:
    """The player bar's buttons. Answers with the bar as the player now is (every other browser gets it live)."""
    form = MusicForm(request.POST).checked()
    room = _room(request)
    result = client.state(room)
    charged = 0
    if form.command_name == SETTINGS:
        # The bar's mode and volume controls post together; apply what changed.
        mode, volume = form.cleaned_data["mode"], form.cleaned_data["volume"]
        if mode and (result is None or mode != result.mode):
            result = client.music_command(user=request.user, room=room, command="set_mode", params={"mode": mode})
        if volume is not None and (result is None or volume != result.volume):
            result = client.music_command(user=request.user, room=room, command="set_volume", params={"volume": volume})
    else:
        outcome = client.music(user=request.user, room=room, command=form.command_name, params=form.params())
        result, charged = outcome.state, outcome.charged
    if charged:
        # Every charge is announced as it happens: what started and what it cost.
        request.user.refresh_from_db(fields=["credits"])
        track = result.current_track if result else None
        what = f"Playing “{track.name}”" if track else "Music started"
        spent = f"{charged} credit{'s' if charged != 1 else ''}"
        text = f"{what} · {spent} · {request.user.credits} left"
        if not request.htmx:
            messages.success(request, text)
    if request.htmx:
        response = render(request, "player/_bar.html", {"state": result})
        return add_toast(response, text) if charged else response
    return redirect(_back(request, "player:page"))


def _back(request: AuthedRequest, fallback: str) -> str:
    """The page a plain form was posted from, if it is one of ours (the buttons work without JavaScript)."""
    referer = request.headers.get("referer", "")
    back = url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure())
    return referer if referer and back else fallback


@require_GET
def page(request: AuthedRequest) -> HttpResponse:
    """The current playlist's tracks, from the database (the player publishes only their version).

    The page script re-fetches the `tracks` part when the bar's `tracks_version` moves past the list's.
    """
    room = _room(request)
    state = client.state(room)
    wanted = PageForm(request.GET).wanted() if request.htmx else ""
    if wanted == "queue":
        return _queue_part(request, room)
    context = {"state": state, "tracks": tracks_of(state.playlist_id) if state else [], **_queue_context(room)}
    if wanted == "tracks":
        return render(request, "player/page.html#tracks", context)
    return render(request, "player/page.html", context)


# --- Rooms -----------------------------------------------------------------------------------------------------
@require_GET
def room_list(request: AuthedRequest) -> HttpResponse:
    """Every room, its player's status and what it plays: the switcher's list (htmx, read as it opens), or a page
    of its own."""
    context = {"statuses": rooms.statuses(), "chosen": _room(request)}
    if request.htmx:
        return render(request, "player/_rooms.html#options", context)
    return render(request, "player/rooms.html", context)


@require_POST
def choose_room(request: AuthedRequest) -> HttpResponse:
    """The switcher: remember the room (bad or unknown slugs are refused by web.refusals) and show the page again
    for it, since its bar, queue and quiet hours are the room's. The person's other pages follow live."""
    room = rooms.choose(user=request.user, slug=RoomChoiceForm(request.POST).slug())
    messages.success(request, f"You are in {room.name} now: your clicks play there.")
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect(_back(request, "player:rooms"))


# --- The up-next queue ----------------------------------------------------------------------------------------
def _queue_context(room: str) -> dict[str, object]:
    return {"queue": up_next.entries(room), "queue_limit": up_next.limit(), "queue_cost": settings.CREDIT_COST_PLAYER}


def _queue_part(request: AuthedRequest, room: str) -> HttpResponse:
    return render(request, "player/page.html#queue", _queue_context(room))


def _queue_answer(request: AuthedRequest, room: str, text: str = "") -> HttpResponse:
    """The queue as it now is (htmx), else back to the Player page; the daemon tells every other browser."""
    client.queue_changed(room)
    if not request.htmx:
        if text:
            messages.success(request, text)
        return redirect("player:page")
    response = _queue_part(request, room)
    return add_toast(response, text, "success") if text else response


@require_POST
def queue_add(request: AuthedRequest) -> HttpResponse:
    """A card's "Play next" or "Add to queue": paid like starting the music, refusals answered by web.refusals."""
    sound_id, first = QueueAddForm(request.POST).values()
    state = client.enqueue(user=request.user, room=_room(request), sound_id=sound_id, first=first)
    name = Sound.objects.filter(pk=sound_id).values_list("name", flat=True).first() or "The sound"
    cost = settings.CREDIT_COST_PLAYER
    where = "plays next" if first else f"is number {state.queue_length} in the queue"
    if state.from_queue and state.current_track is not None and state.current_track.sound_id == sound_id:
        where = "is playing now"
    return _done(request, f"“{name}” {where} ({cost} credit{'s' if cost != 1 else ''}).")


@require_POST
def queue_move(request: AuthedRequest, item_id: int) -> HttpResponse:
    up = QueueMoveForm(request.POST).up()
    room = _room(request)
    client.limit(request.user)
    up_next.move(room=room, item_id=item_id, up=up)
    return _queue_answer(request, room)


@require_POST
def queue_reorder(request: AuthedRequest) -> HttpResponse:
    ids = QueueOrderForm(request.POST).ids(most=up_next.limit())
    room = _room(request)
    client.limit(request.user)
    up_next.reorder(room=room, ids=ids)
    return _queue_answer(request, room)


@require_POST
def queue_remove(request: AuthedRequest, item_id: int) -> HttpResponse:
    room = _room(request)
    client.limit(request.user)
    name = up_next.remove(room=room, item_id=item_id, user=request.user)
    return _queue_answer(request, room, f"“{name}” left the queue.")
