"""Hotkeys (bind from a card's menu, manage on their page and in the `?` overlay) and the pad-or-cards toggle.

Refusals (a key outside 1-9 and a-z, a key already taken, a sound that is gone) are UserErrors: web.refusals
answers them with a toast, or a message on the page the request came from.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from board import services
from board.forms import BindForm, PartForm, ViewForm
from board.models import BoardView
from web.refusals import back_url
from web.toasts import add_toast
from web.types import AuthedRequest


def _changed(request: AuthedRequest, text: str) -> HttpResponse:
    """The new key map for the board's script (and the overlay's list refreshes itself), or back to the page."""
    if not request.htmx:
        messages.success(request, text)
        return redirect(back_url(request))
    response = HttpResponse(status=204)
    response.headers["HX-Trigger"] = json.dumps({"hotkeysChanged": {"map": services.key_map(request.user)}})
    return add_toast(response, text)


@require_GET
def hotkeys(request: AuthedRequest) -> HttpResponse:
    context = {"bindings": services.bindings(request.user)}
    if request.htmx and PartForm(request.GET).wanted() == "list":
        return render(request, "board/_shortcuts.html#list", context)
    return render(request, "board/hotkeys.html", context)


@require_POST
def bind(request: AuthedRequest) -> HttpResponse:
    sound_id, key = BindForm(request.POST).values()
    hotkey = services.bind(user=request.user, key=key, sound_id=sound_id)
    return _changed(request, f"Press {hotkey.key.upper()} on the Soundboard to play “{hotkey.sound.name}”.")


@require_POST
def unbind(request: AuthedRequest, key: str) -> HttpResponse:
    name = services.unbind(user=request.user, key=key)
    return _changed(request, f"{key.upper()} no longer plays “{name}”.")


@require_POST
def board_view(request: AuthedRequest) -> HttpResponse:
    view = ViewForm(request.POST).value()
    services.set_view(user=request.user, view=view)
    if not request.htmx:
        return redirect("home")
    response = HttpResponse(status=204)
    response.headers["HX-Trigger"] = json.dumps({"boardView": {"view": view}})
    return add_toast(response, f"View: {BoardView(view).label.lower()}.")
