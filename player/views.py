"""Instant play on the server's speakers, and stop-all."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from player import client
from playlists.services import tracks_of
from soundboard.errors import UserError
from soundboard.toasts import add_toast
from soundboard.types import AuthedRequest
from sounds.models import PlaySource


def _answer(request: AuthedRequest, text: str, level: str, status: int) -> HttpResponse:
    if request.htmx:
        return add_toast(HttpResponse(status=status if status >= 400 else 204), text, level)
    messages.add_message(request, messages.SUCCESS if level == "success" else messages.ERROR, text)
    return redirect("home")


def _refused(request: AuthedRequest, exc: UserError) -> HttpResponse:
    response = _answer(request, exc.detail, "error", exc.status)
    if exc.retry_after is not None and request.htmx:
        response["Retry-After"] = str(exc.retry_after)
    return response


@require_POST
def play(request: AuthedRequest, sound_id: int) -> HttpResponse:
    try:
        result = client.play_sound(user=request.user, sound_id=sound_id, source=PlaySource.BOARD)
    except UserError as exc:  # a refusal, a rate limit
        return _refused(request, exc)
    left = f"{result.balance} credit{'s' if result.balance != 1 else ''} left"
    return _answer(request, f"Playing “{result.sound.name}” · {left}", "success", 200)


@require_POST
def stop_all(request: AuthedRequest) -> HttpResponse:
    if not client.is_online():
        return _answer(request, "The player is offline.", "error", 503)
    try:
        client.stop_all(user=request.user)
    except UserError as exc:
        return _refused(request, exc)
    return _answer(request, "Stopped every sound.", "success", 200)


MUSIC_PARAMS: dict[str, tuple[str, ...]] = {
    "play_index": ("index",),
    "seek": ("position_ms",),
    "set_playlist": ("playlist_id", "play"),
}


@require_POST
def music(request: AuthedRequest) -> HttpResponse:
    """The player bar's buttons. Answers with the bar as the player now is (every other browser gets it live)."""
    command = request.POST.get("command", "")
    params: dict[str, object] = {}
    try:
        if command == "settings":
            # The bar's mode and volume controls post together; apply what changed.
            state = client.published_state() or {}
            mode, volume = request.POST.get("mode", ""), request.POST.get("volume", "")
            result = state
            if mode and mode != state.get("mode"):
                result = client.music_command(user=request.user, command="set_mode", params={"mode": mode})
            if volume and int(volume) != state.get("volume"):
                params = {"volume": int(volume)}
                result = client.music_command(user=request.user, command="set_volume", params=params)
        else:
            for name in MUSIC_PARAMS.get(command, ()):
                raw = request.POST.get(name, "")
                params["ms" if name == "position_ms" else name] = raw == "1" if name == "play" else int(raw)
            result = client.music_command(user=request.user, command=command, params=params)
    except ValueError:
        return _answer(request, "That is not a number.", "error", 400)
    except UserError as exc:
        return _refused(request, exc)
    if request.htmx:
        return render(request, "player/_bar.html", {"state": result})
    referer = request.headers.get("referer", "")
    back = url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure())
    return redirect(referer if referer and back else "player:page")


@require_GET
def page(request: AuthedRequest) -> HttpResponse:
    """The current playlist's tracks, from the database (the player publishes only their version).

    The page script re-fetches the `tracks` part when the bar's `tracks_version` moves past the list's.
    """
    state = client.published_state()
    context = {"state": state, "tracks": tracks_of(state.get("playlist_id")) if state else []}
    if request.htmx and request.GET.get("part") == "tracks":
        return render(request, "player/page.html#tracks", context)
    return render(request, "player/page.html", context)
