"""Sign up, sign in, plan and balance, presence across two browsers, a message as a toast, sign out."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in, sign_up, unique_email


def test_two_users_see_each_other_online_and_exchange_a_message(new_context, live_app):
    alice_email, bob_email = unique_email("alice"), unique_email("bob")
    alice = new_context().new_page()
    sign_up(alice, alice_email)
    expect(alice.get_by_test_id("home-plan")).to_have_text("Free")
    expect(alice.get_by_test_id("credit-balance")).to_have_text("25")
    expect(alice.get_by_test_id("online-count")).to_have_text("1")

    bob = new_context().new_page()
    sign_up(bob, bob_email)
    # Alice's page learns about Bob over the websocket, without a reload.
    expect(alice.get_by_test_id("online-count")).to_have_text("2")
    expect(bob.get_by_test_id("online-count")).to_have_text("2")

    bob.goto("/messages/new/")
    bob.select_option("select[name=recipient]", label=alice_email.split("@")[0])
    bob.fill("textarea[name=message]", "Coffee? <b>now</b>")
    bob.get_by_test_id("send-message").click()
    expect(bob.locator(".toast").filter(has_text="Message sent")).to_be_visible()
    toast = alice.get_by_test_id("message-toast")
    expect(toast).to_contain_text("Coffee? <b>now</b>")  # shown as text, not markup
    expect(toast.locator("b")).to_have_count(0)  # the markup was not injected
    expect(toast.locator("strong")).to_have_text(bob_email.split("@")[0])

    # Sign out, and the count drops for Bob.
    alice.locator("summary.menu__trigger").click()
    alice.get_by_test_id("sign-out").click()
    alice.wait_for_url("**/accounts/login/")
    expect(bob.get_by_test_id("online-count")).to_have_text("1")

    # Signing back in works with the email in another case.
    sign_in(alice, alice_email.upper())
    expect(alice.get_by_test_id("credit-balance")).to_have_text("25")


def test_the_shell_fits_a_phone_and_the_drawer_opens(new_context):
    page = new_context(viewport={"width": 375, "height": 740}).new_page()
    sign_up(page, unique_email("phone"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    sidebar = page.locator("#sidebar")
    assert sidebar.bounding_box()["x"] < 0  # off-canvas
    page.locator("[data-sidebar-toggle]").click()
    expect(page.locator("body")).to_have_class("drawer-open")
    page.keyboard.press("Escape")
    expect(page.locator("body")).not_to_have_class("drawer-open")


def test_the_theme_choice_is_remembered(new_context):
    page = new_context(color_scheme="light").new_page()
    sign_up(page, unique_email("theme"))
    html = page.locator("html")
    expect(html).not_to_have_attribute("data-theme", "dark")
    toggle = page.locator(".topbar [data-theme-toggle]")
    toggle.click()  # system -> light
    expect(html).to_have_attribute("data-theme", "light")
    toggle.click()  # light -> dark
    expect(html).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 17, 23)"


def test_a_weak_password_is_explained_on_the_signup_page(new_context):
    page = new_context().new_page()
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", unique_email("weak"))
    page.fill("input[name=password1]", "zq")
    page.fill("input[name=password2]", "zq")
    page.click("form.form button[type=submit]")
    # Several rules may speak (length, similarity to the email): the length one must be among them.
    expect(page.locator(".field__error").filter(has_text="too short")).to_be_visible()
