"""/health/ for monitors and load balancers, /metrics for Prometheus. Neither needs a signed-in user."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Generator
from typing import cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.views import HealthCheckView

from health import players
from health.checks import all_checks
from health.metrics import exposition
from player.protocol import DEFAULT_ROOM


class HealthView(HealthCheckView):
    """django-health-check's view (HTML, `?format=json` or `Accept: application/json`, `?format=text`) with
    our checks, built per request."""

    versions = False  # name the tools' versions: for staff only

    def get_checks(self) -> Generator[HealthCheck]:
        rooms = getattr(self.request, "health_rooms", [DEFAULT_ROOM])
        yield from all_checks(rooms=rooms, versions=self.versions)


# The view is async (django-health-check runs the checks concurrently); the stubs type as_view() as sync.
_View = Callable[[HttpRequest], Awaitable[HttpResponse]]
_public_view = cast(_View, HealthView.as_view())
_staff_view = cast(_View, HealthView.as_view(versions=True))


@login_not_required
async def health(request: HttpRequest) -> HttpResponse:
    """200 when every check passes, else 503 naming what failed.

    django-health-check answers 500 for a failed check; a monitor or load balancer should read "unavailable",
    not "bug". A real crash raises through here to Django's 500 page instead of returning a response.
    """
    user = await request.auser()
    request.health_rooms = await sync_to_async(players.rooms)()  # type: ignore[attr-defined]
    response = await (_staff_view if user.is_staff else _public_view)(request)
    if response.status_code == 500:
        response.status_code = 503
    return response


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@login_not_required
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for whoever holds METRICS_TOKEN (sent as `Authorization: Bearer <token>`).

    Without the setting the page does not exist (404): figures about users' money are never public by default.
    """
    expected: str = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    token = _bearer(request)
    if token is None:
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not secrets.compare_digest(token.encode(), expected.encode()):
        return HttpResponse("Wrong token.\n", status=403, content_type="text/plain")
    body, content_type = exposition(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)
