"""The JSON API root at /api/v1/: every app's router, one handler per kind of refusal.

Callers sign in with the session (CSRF enforced) or `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import logging
from functools import wraps
from inspect import iscoroutinefunction
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from accounts.admin_api import router as admin_users_router
from accounts.api import API_TOKEN_ATTRIBUTE
from accounts.api import router as accounts_router
from accounts.models import ApiToken, User
from api import errors
from board.api import router as board_router
from core import timing
from core.errors import UserError
from credits.api import router as credits_router
from dashboard.api import router as dashboard_router
from extraction.api import admin_router as extraction_admin_router
from extraction.api import router as extraction_router
from live.api import router as socket_router
from player.api import quiet_router
from player.api import router as player_router
from player.rooms_api import router as rooms_router
from playlists.api import router as playlists_router
from sounds.api import files_router, tags_router
from sounds.api import router as sounds_router
from sounds.jobs_api import router as sound_jobs_router

logger = logging.getLogger("django.request")


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = ApiToken.find_usable(token)
        if found is None:
            return None
        # Later code reads request.user like in any Django view, and the token used where it matters
        # (DELETE /auth/token revokes it).
        request.user = found.user
        setattr(request, API_TOKEN_ATTRIBUTE, found)
        timing.mark("auth")
        return found.user


class CsrfSessionAuth(SessionAuth):
    """The browser's session, with CSRF checked on unsafe methods.

    A request that carries an Authorization header is judged by its token alone: a bad token must give 401,
    not a CSRF 403 from falling through to the cookie.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if "authorization" in request.headers:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if user.is_authenticated and user.is_active:
            timing.mark("auth")
            return user
        return None


class SoundboardAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        # Every operation documents the refusals any operation may answer (its own come from `refusals`), so
        # the schema states every status code the API sends; the fuzzer in tests/fuzz holds the API to it.
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = errors.ERROR_SCHEMA
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, answer in errors.responses(errors.COMMON).items():
                    operation.setdefault("responses", {}).setdefault(code, answer)
        return schema


api = SoundboardAPI(
    title="Soundboard API",
    version="1",
    description="Play sounds on the server's speakers, run the music player, manage the library.",
    urls_namespace="api",
    auth=[BearerTokenAuth(), CsrfSessionAuth()],
)


def _detail(request: HttpRequest, detail: Any, status: int) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Bad input is a 400 with a sentence a person can read, plus the field errors for programs.
    parts = []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload"))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return api.create_response(
        request, {"detail": "; ".join(parts) or "Invalid input.", "errors": exc.errors}, status=400
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _detail(request, "Authentication required: sign in or send a valid bearer token.", 401)


@api.exception_handler(UserError)
def on_user_error(request: HttpRequest, exc: UserError) -> HttpResponse:
    # Domain code refuses with a sentence and a status; every operation answers it the same way.
    response = _detail(request, exc.detail, exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A bug must still answer in the API's language (JSON), and must be logged like any server error.
    logger.error("Unhandled API error on %s %s", request.method, request.path, exc_info=exc)
    return _detail(request, "Something broke on the server; it was logged.", 500)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _detail(request, str(exc), exc.status_code)


# Nothing imports this module but the URLconf, so the routers can be imported at the top: no cycle to dodge.
api.add_router("/", accounts_router)
api.add_router("/socket/", socket_router)
api.add_router("/sounds/", sounds_router)
api.add_router("/sounds/", sound_jobs_router)
api.add_router("/", tags_router)
api.add_router("/files/", files_router)
api.add_router("/credits/", credits_router)
api.add_router("/playlists/", playlists_router)
api.add_router("/player/", player_router)
api.add_router("/", rooms_router)
api.add_router("/", quiet_router)
api.add_router("/", board_router)
api.add_router("/dashboard/", dashboard_router)
api.add_router("/extractions/", extraction_router)
api.add_router("/admin/", extraction_admin_router)
api.add_router("/admin/", admin_users_router)


def _as_json_405(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
        return response
    answer = JsonResponse({"detail": f"{request.method} is not allowed here."}, status=405)
    answer["Allow"] = response.get("Allow", "")
    return answer


def _json_not_allowed(view: Any) -> Any:
    """Ninja answers a method a path does not have with Django's HTML 405; the API speaks JSON only."""
    if iscoroutinefunction(view):

        @wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return _as_json_405(request, await view(request, *args, **kwargs))

        return async_wrapper

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return _as_json_405(request, view(request, *args, **kwargs))

    return wrapper


def api_urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns. Operations answer 401 in JSON themselves, so the login-required middleware
    leaves them alone; the schema only documents (no data), so it is public too. The docs page stays behind
    the normal sign-in redirect."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _json_not_allowed(pattern.callback)
        if getattr(pattern, "name", None) != "openapi-view":
            # The attribute Django's LoginRequiredMiddleware reads (what @login_not_required sets).
            setattr(pattern.callback, "login_required", False)  # noqa: B010
    return patterns, app_name, namespace
