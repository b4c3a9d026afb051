"""The API's documentation pages work offline, inside the site's CSP, at the seed's addresses."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request

from tests.e2e.conftest import sign_up, unique_email


def _watch(page: Page) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    elsewhere: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    def on_request(request: Request) -> None:
        if urlsplit(request.url).hostname not in ("127.0.0.1", None) and not request.url.startswith(("data:", "blob:")):
            elsewhere.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    return problems, elsewhere


@pytest.mark.parametrize("width", [1280, 375])
def test_swagger_and_redoc_render_the_schema_from_this_server_only(new_context, live_app, width):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    problems, elsewhere = _watch(page)
    sign_up(page, unique_email("docs"))

    page.goto("/api/docs")
    page.get_by_text("/api/v1/sounds/{sound_id}").first.wait_for()
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Soundboard API")

    page.goto("/api/redoc")
    page.get_by_role("heading", name="Soundboard API").first.wait_for()
    page.get_by_text("Delete a sound you added").first.wait_for(state="attached")
    page.wait_for_load_state("networkidle")

    assert problems == []
    assert elsewhere == []


def test_the_docs_pages_ask_anonymous_visitors_to_sign_in(new_context, live_app):
    page = new_context().new_page()
    for path in ("/api/docs", "/api/redoc"):
        page.goto(path)
        assert "/accounts/login/" in page.url
