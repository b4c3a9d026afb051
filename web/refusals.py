"""The one refusal path of the HTML views, mirroring the API's exception handler (api/root.py).

Domain code refuses by raising a UserError (a sentence, a status, maybe Retry-After); views don't catch it.
For htmx the answer is that status with the sentence as a toast and no swap, so the page stays as it was;
without JavaScript it is a message on the page the user came from (a redirect back), like any other notice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import UserError
from web.toasts import add_toast

Handler = Callable[[HttpRequest], HttpResponse] | Callable[[HttpRequest], Awaitable[HttpResponse]]


def back_url(request: HttpRequest) -> str:
    """Where the refused request came from, if that is a page of this site; else the home page."""
    referer = request.headers.get("referer", "")
    ours = bool(referer) and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    # A refused GET that came from itself would redirect to itself forever.
    loops = request.method == "GET" and referer == request.build_absolute_uri()
    return referer if ours and not loops else reverse("home")


def refusal_response(request: HttpRequest, exc: UserError) -> HttpResponse:
    response: HttpResponse
    if getattr(request, "htmx", False):
        response = HttpResponse(status=exc.status)
        # 400, 409 and 413 are swapped like successes (forms come back with their reasons): this one has
        # nothing to swap in, the toast says it all.
        response["HX-Reswap"] = "none"
        add_toast(response, exc.detail, "error")
    else:
        messages.error(request, exc.detail)
        response = HttpResponseRedirect(back_url(request))
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


class RefusalMiddleware:
    """Turns a UserError raised by a view into `refusal_response`; anything else goes on to Django."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        # Nothing to do on the way in or out: only process_exception matters, and Django calls it (in a
        # thread, under ASGI) only when a view raised.
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UserError):
            return refusal_response(request, exception)
        return None
