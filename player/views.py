"""Instant play on the server's speakers, and stop-all."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from player import commands
from soundboard.toasts import add_toast
from soundboard.types import AuthedRequest
from sounds.models import PlaySource


def _answer(request: AuthedRequest, text: str, level: str, status: int) -> HttpResponse:
    if request.htmx:
        return add_toast(HttpResponse(status=status if status >= 400 else 204), text, level)
    messages.add_message(request, messages.SUCCESS if level == "success" else messages.ERROR, text)
    return redirect("home")


@require_POST
def play(request: AuthedRequest, sound_id: int) -> HttpResponse:
    try:
        result = commands.play_sound(user=request.user, sound_id=sound_id, source=PlaySource.BOARD)
    except commands.PlayError as exc:
        return _answer(request, exc.detail, "error", exc.status)
    left = f"{result.balance} credit{'s' if result.balance != 1 else ''} left"
    return _answer(request, f"Playing “{result.sound.name}” · {left}", "success", 200)


@require_POST
def stop_all(request: AuthedRequest) -> HttpResponse:
    if not commands.is_online():
        return _answer(request, "The player is offline.", "error", 503)
    commands.stop_all(user=request.user)
    return _answer(request, "Stopped every sound.", "success", 200)
