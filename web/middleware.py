"""Request logging and turning Django messages into toasts for htmx requests.

Both work in sync and async mode: under daphne a sync-only middleware in the chain forces a thread hop at
each boundary, which costs more than the rest of a small page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import cast
from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.response import HttpResponseRedirectBase
from django.utils.decorators import sync_and_async_middleware
from django.utils.functional import empty
from django_htmx.http import HttpResponseClientRedirect
from whitenoise.middleware import WhiteNoiseMiddleware

from web.toasts import LEAVES_MESSAGES, add_toast

logger = logging.getLogger("soundboard.requests")

Handler = Callable[[HttpRequest], HttpResponse] | Callable[[HttpRequest], Awaitable[HttpResponse]]


def _user_id(request: HttpRequest) -> object:
    user = getattr(request, "user", None)
    if user is None:
        return "-"
    # Never force the lazy user here: in async mode that would be a database query on the event loop.
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return "-"
    return wrapped.pk


def _log(request: HttpRequest, response: HttpResponse, start: float) -> None:
    logger.info(
        "%s %s %s %.1fms user=%s",
        request.method,
        request.path,
        response.status_code,
        (time.perf_counter() - start) * 1000,
        _user_id(request),
    )


@sync_and_async_middleware
def request_log_middleware(get_response: Handler) -> Handler:
    """One line per request: method, path, status, duration in ms and the user id (or -)."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            start = time.perf_counter()
            response: HttpResponse = await get_response(request)
            _log(request, response, start)
            return response

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        # Sync mode: get_response is the plain half of Handler (the union can't say which half it is).
        response = cast(HttpResponse, get_response(request))
        _log(request, response, start)
        return response

    return middleware


def _wants_toasts(request: HttpRequest, response: HttpResponse) -> bool:
    if not getattr(request, "htmx", False) or 300 <= response.status_code < 400:
        return False
    if getattr(response, LEAVES_MESSAGES, False):
        return False
    # After HX-Redirect / HX-Refresh the next full page shows the messages itself.
    return "HX-Redirect" not in response.headers and "HX-Refresh" not in response.headers


def _move_messages(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    for message in get_messages(request):
        add_toast(response, str(message), message.level_tag or "info")
    return response


@sync_and_async_middleware
def htmx_messages_middleware(get_response: Handler) -> Handler:
    """An htmx swap never renders base.html, so queued messages travel as an HX-Trigger `toasts` event."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            response: HttpResponse = await get_response(request)
            if _wants_toasts(request, response):
                # Message storage may read the session: database and cache I/O belong in a thread.
                await sync_to_async(_move_messages)(request, response)
            return response

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        # Sync mode: get_response is the plain half of Handler (the union can't say which half it is).
        response = cast(HttpResponse, get_response(request))
        return _move_messages(request, response) if _wants_toasts(request, response) else response

    return middleware


class StaticFilesMiddleware:
    """WhiteNoise's file serving, usable at the top of an async middleware chain.

    WhiteNoise's own middleware is sync-only, so under daphne it would push every request through two thread
    hops; here only requests for static files touch it (in a thread), everything else stays on the event loop.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        self.whitenoise = WhiteNoiseMiddleware(get_response)
        self.prefix = "/" + settings.STATIC_URL.lstrip("/")

    def _static_response(self, request: HttpRequest) -> HttpResponse | None:
        wn = self.whitenoise
        static_file = wn.find_file(request.path_info) if wn.autorefresh else wn.files.get(request.path_info)
        return wn.serve(static_file, request) if static_file is not None else None

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.async_mode:
            return self.__acall__(request)
        if request.path_info.startswith(self.prefix) and (response := self._static_response(request)):
            return response
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.prefix):
            response = await sync_to_async(self._static_response)(request)
            if response is not None:
                return response
        # async_mode: get_response is the coroutine half of Handler (the type can't say which half it is).
        return await cast(Awaitable[HttpResponse], self.get_response(request))


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's, except that an htmx request is sent to the sign-in page as a whole page (HX-Redirect): a
    followed redirect swapped the sign-in form into a card, or nothing at all, and clicks seemed dead after a
    user was disabled or signed out in another tab."""

    # The htmx answer is a client-side redirect (status 200), not the 302 django-stubs expects here.
    def handle_no_permission(  # type: ignore[override]
        self, request: HttpRequest, view_func: Callable[..., HttpResponseBase]
    ) -> HttpResponseRedirectBase:
        if request.headers.get("HX-Request") == "true":
            # Back to the page the user was on (its path only: the header is the client's word), not the partial.
            path = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
            return HttpResponseClientRedirect(redirect_to_login(path, self.get_login_url(view_func)).url)
        return super().handle_no_permission(request, view_func)
