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


# A background refresh (a live event re-reading the page's parts) is not what the person did: the messages waiting
# in their session belong to the page that acts or loads next. Read here, they showed on whichever of the
# person's pages refreshed first, and never on the page that, say, chose a room and reloads to show it.
LEAVES_MESSAGES = "leaves_messages"


def leave_messages(response: HttpResponse) -> HttpResponse:
    setattr(response, LEAVES_MESSAGES, True)
    return response
