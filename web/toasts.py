"""Toasts for htmx responses, through the HX-Trigger header the page script listens to."""

from __future__ import annotations

import json

from django.http import HttpResponse


def add_toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    try:
        triggers = json.loads(response.headers.get("HX-Trigger", "{}") or "{}")
    except ValueError:
        triggers = {}
    triggers.setdefault("toasts", []).append({"message": message, "level": level})
    response.headers["HX-Trigger"] = json.dumps(triggers)
    return response
