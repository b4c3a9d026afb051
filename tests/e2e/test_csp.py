"""The site-wide Content Security Policy holds on every page: no violation in the browser's console."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page

from tests.e2e.conftest import PASSWORD, sign_in, sign_up, unique_email

ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/no-such-page/"]
SIGNED_IN_PAGES = [
    "/",
    "/?q=zzz",
    "/sounds/upload/",
    "/sounds/tts/",
    "/credits/",
    "/player/",
    "/playlists/",
    "/extractions/",
    "/dashboard/",
    "/profile/",
    "/messages/new/",
    "/api/v1/docs",
    "/no-such-page/",
]
STAFF_PAGES = ["/admin/", "/admin/accounts/user/", "/admin/sounds/sound/", "/admin/credits/credittransaction/"]


def _watch(page: Page) -> list[str]:
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return violations


def _visit(page: Page, paths: list[str]) -> None:
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")


def test_no_page_breaks_the_content_security_policy(new_context, live_app):
    context = new_context()
    page = context.new_page()
    violations = _watch(page)
    response = page.goto("/accounts/login/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    _visit(page, ANONYMOUS_PAGES)

    email = unique_email("csp")
    sign_up(page, email)
    _visit(page, SIGNED_IN_PAGES)
    page.goto("/playlists/")
    page.fill("input[name=name]", "CSP mix")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    page.goto("/")
    page.fill("input[type=search]", "anything")  # an htmx swap of the results
    page.wait_for_load_state("networkidle")

    live_app.shell(
        "from accounts.models import User; "
        f"User.objects.filter(email='{email}').update(is_staff=True, is_superuser=True)"
    )
    page.context.clear_cookies()
    sign_in(page, email, PASSWORD)
    _visit(page, STAFF_PAGES)
    assert violations == []
