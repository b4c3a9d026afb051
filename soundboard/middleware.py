"""Request logging and turning Django messages into toasts for htmx requests."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse

from soundboard.toasts import add_toast

logger = logging.getLogger("soundboard.requests")


class RequestLogMiddleware:
    """One line per request: method, path, status, duration in ms and the user id (or -)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - start) * 1000
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else "-"
        logger.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            user_id,
        )
        return response


class HtmxMessagesMiddleware:
    """An htmx swap never renders base.html, so queued messages travel as an HX-Trigger `toast` event."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or 300 <= response.status_code < 400:
            return response
        if "HX-Redirect" in response.headers or "HX-Refresh" in response.headers:
            return response  # the next full page shows them
        for message in get_messages(request):
            add_toast(response, str(message), message.level_tag or "info")
        return response
