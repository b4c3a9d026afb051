"""The API's documentation at the seed's addresses: the schema at /api/openapi.json, Swagger UI at /api/docs
and ReDoc at /api/redoc, all served from this server (django-ninja ships both scripts), nothing from a CDN.

The schema documents and holds no data, so anyone may read it; the two pages stay behind the sign-in like
every page (the site's LoginRequiredMiddleware).
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from api.root import api

# ReDoc styles itself with styled-components, which writes <style> elements without a nonce; it builds its
# search index in a worker made from a blob. So this one page, which shows only the public schema, gets
# inline styles and blob workers; scripts stay 'self' only, like everywhere else.
REDOC_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.NONE],
}


@login_not_required
@require_GET
def openapi_json(request: HttpRequest) -> HttpResponse:
    """The same schema as /api/v1/openapi.json (its paths say /api/v1/…), where the seed served it."""
    return JsonResponse(api.get_openapi_schema())


@require_GET
def swagger(request: HttpRequest) -> HttpResponse:
    return api.docs.render_page(request, api)


@require_GET
@csp_override(REDOC_CSP)
def redoc(request: HttpRequest) -> HttpResponse:
    return render(request, "api/redoc.html", {"title": api.title, "schema_url": reverse("api:openapi-json")})


# ReDoc's sidebar shows Redocly's logo from their CDN, whatever its options say: the page would call the
# internet (and break its CSP) on every visit. The script is served with that one address pointing here instead.
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def _redoc_script() -> bytes:
    source = finders.find("ninja/redoc.standalone.js")
    if not isinstance(source, str):
        raise ImproperlyConfigured("django-ninja's ReDoc script is missing: is `ninja` in INSTALLED_APPS?")
    return Path(source).read_bytes().replace(REDOC_CDN_LOGO.encode(), static("ninja/favicon.svg").encode())


@require_GET
def redoc_script(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_redoc_script(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "private, max-age=86400"
    return response
