"""Observes every request's latency into the metrics' histogram (this process's; see health.metrics)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

from core import timing
from health.metrics import REQUEST_LATENCY

Handler = Callable[[HttpRequest], HttpResponse] | Callable[[HttpRequest], Awaitable[HttpResponse]]
# Anything else (a made-up verb) would add a label value per distinct string a client sends.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _observe(request: HttpRequest, start: float) -> None:
    method = request.method if request.method in METHODS else "other"
    REQUEST_LATENCY.labels(method=method).observe(time.perf_counter() - start)


@sync_and_async_middleware
def request_latency_middleware(get_response: Handler) -> Handler:
    """Sync and async alike, so it adds no thread hop under daphne."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            start = time.perf_counter()
            response: HttpResponse = await get_response(request)
            _observe(request, start)
            return response

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        # Sync mode: get_response is the plain half of Handler (the union can't say which half it is).
        response = cast(HttpResponse, get_response(request))
        _observe(request, start)
        return response

    return middleware


@sync_and_async_middleware
def server_timing_middleware(get_response: Handler) -> Handler:
    """With `SERVER_TIMING` on, every answer says in `Server-Timing` how long its stages took (`core.timing`):
    what the click benchmark reads. Off (the default), this middleware is not in the chain at all."""
    if not settings.SERVER_TIMING:
        raise MiddlewareNotUsed
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            token = timing.start()
            try:
                response: HttpResponse = await get_response(request)
            finally:
                stamps = timing.stop(token)
            response["Server-Timing"] = timing.header([*stamps, ("respond", time.monotonic())])
            return response

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        token = timing.start()
        try:
            response = cast(HttpResponse, get_response(request))
        finally:
            stamps = timing.stop(token)
        response["Server-Timing"] = timing.header([*stamps, ("respond", time.monotonic())])
        return response

    return middleware
