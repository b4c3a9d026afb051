"""Quiet hours on pages: the banner (fetched again when quiet hours start or end) and staff's page for the windows."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from player.forms import QuietWindowForm
from player.models import QuietWindow
from web.decorators import staff_required
from web.toasts import add_toast
from web.types import AuthedRequest


@require_GET
def banner(request: AuthedRequest) -> HttpResponse:
    """The banner as it is now, and the player bar (its "paused for quiet hours" line follows the same clock)."""
    return render(request, "player/quiet_banner.html")


def _page(request: AuthedRequest, form: QuietWindowForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "windows": QuietWindow.objects.select_related("room"), "time_zone": settings.TIME_ZONE}
    template = "player/quiet_hours.html#windows" if request.htmx else "player/quiet_hours.html"
    return render(request, template, context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def quiet_hours(request: AuthedRequest) -> HttpResponse:
    """The weekly windows: list and add. A window that overlaps another or ends before it starts is a 400 with the
    reason, and nothing is saved."""
    if request.method == "GET":
        return _page(request, QuietWindowForm())
    form = QuietWindowForm(request.POST)
    # The overlap check reads the other windows: check and save in one write transaction, so two staff adding
    # overlapping windows at once cannot both pass (SQLite's IMMEDIATE transactions take the write lock first).
    with transaction.atomic():
        if not form.is_valid():
            return _page(request, form, status=400)
        window = form.save()
    text = f"Quiet hours added: {window}."
    if not request.htmx:
        messages.success(request, text)
        return redirect("player:quiet_hours")
    return add_toast(_page(request, QuietWindowForm()), text, "success")


@staff_required
@require_POST
def delete(request: AuthedRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(QuietWindow, pk=window_id)
    text = f"Quiet hours removed: {window}."
    window.delete()
    if not request.htmx:
        messages.success(request, text)
        return redirect("player:quiet_hours")
    return add_toast(_page(request, QuietWindowForm()), text, "success")
