"""Instant play on the server's speakers, stop-all, the player bar's buttons and the player page.

Refusals (UserError: offline, rate limit, no credits, bad input) are not caught here: the one refusal path
(web.refusals) answers them, a toast for htmx and a message and redirect back otherwise.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.errors import UserError
from player import client
from player.forms import SETTINGS, MusicForm, PageForm
from playlists.services import tracks_of
from sounds.models import PlaySource
from web.toasts import add_toast
from web.types import AuthedRequest


def _done(request: AuthedRequest, text: str) -> HttpResponse:
    if request.htmx:
        return add_toast(HttpResponse(status=204), text, "success")
    messages.success(request, text)
    return redirect("home")


@require_POST
def play(request: AuthedRequest, sound_id: int) -> HttpResponse:
    result = client.play_sound(user=request.user, sound_id=sound_id, source=PlaySource.BOARD)
    left = f"{result.balance} credit{'s' if result.balance != 1 else ''} left"
    return _done(request, f"Playing “{result.sound.name}” · {left}")


@require_POST
def stop_all(request: AuthedRequest) -> HttpResponse:
    if not client.is_online():
        raise UserError("The player is offline.", 503)
    client.stop_all(user=request.user)
    return _done(request, "Stopped every sound.")


@require_POST
def music(request: AuthedRequest) -> HttpResponse:
    """The player bar's buttons. Answers with the bar as the player now is (every other browser gets it live)."""
    form = MusicForm(request.POST).checked()
    result = client.state()
    if form.command_name == SETTINGS:
        # The bar's mode and volume controls post together; apply what changed.
        mode, volume = form.cleaned_data["mode"], form.cleaned_data["volume"]
        if mode and (result is None or mode != result.mode):
            result = client.music_command(user=request.user, command="set_mode", params={"mode": mode})
        if volume is not None and (result is None or volume != result.volume):
            result = client.music_command(user=request.user, command="set_volume", params={"volume": volume})
    else:
        result = client.music_command(user=request.user, command=form.command_name, params=form.params())
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
    state = client.state()
    context = {"state": state, "tracks": tracks_of(state.playlist_id) if state else []}
    if request.htmx and PageForm(request.GET).wanted() == "tracks":
        return render(request, "player/page.html#tracks", context)
    return render(request, "player/page.html", context)
