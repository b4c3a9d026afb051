"""SIGNUP = open | domain | invite | closed, for the sign-up form and for OAuth alike; with email
verification on, the first credits arrive with the verified address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import responses
from django.core import mail
from django.db.models.signals import pre_save
from django.test import Client
from django.utils import timezone

from accounts.models import Invite, User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.test_oauth import APPS, start_flow
from credits.models import CreditAction, CreditTransaction

pytestmark = pytest.mark.django_db


def signup(client: Client, email: str, url: str = "/accounts/signup/"):
    return client.post(url, {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def confirm_link() -> str:
    match = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", str(mail.outbox[-1].body))
    assert match is not None
    return match.group(1)


@pytest.fixture
def closed(settings):
    settings.SIGNUP = "closed"


@pytest.fixture
def domain(settings):
    settings.SIGNUP = "domain"
    settings.SIGNUP_EMAIL_DOMAINS = ["example.org"]
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"


@pytest.fixture
def invite_only(settings):
    settings.SIGNUP = "invite"


def test_closed_sign_up_makes_no_account(closed):
    client = Client()
    assert b"Sign Up Closed" in client.get("/accounts/signup/").content
    signup(client, "new@example.com")
    assert not User.objects.filter(email="new@example.com").exists()


def test_domain_sign_up_refuses_other_domains(domain):
    response = signup(Client(), "mallory@evil.example")
    assert response.status_code == 200
    assert b"example.org only" in response.content
    assert not User.objects.filter(email="mallory@evil.example").exists()


def test_domain_sign_up_gets_credits_only_once_the_address_is_verified(domain):
    client = Client()
    response = signup(client, "ann@Example.org")
    assert response.status_code == 302
    ann = User.objects.get(email="ann@example.org")
    assert ann.credits == 0
    # Mandatory verification: no session until the address is proven.
    assert client.get("/api/v1/me").status_code == 401
    link = confirm_link()
    assert client.post(link).status_code == 302
    ann.refresh_from_db()
    assert ann.credits == 25
    assert not ann.welcome_credits_pending
    grants = CreditTransaction.objects.filter(user=ann, action=CreditAction.SIGNUP).exclude(amount=0)
    assert [(g.amount, g.balance_after) for g in grants] == [(25, 25)]
    # Confirming again (or another address later) grants nothing more.
    client.post(link)
    ann.refresh_from_db()
    assert ann.credits == 25


def test_an_existing_account_outside_the_domains_can_still_reset_its_password(domain):
    outsider = UserFactory.create(email="old-timer@elsewhere.example")
    response = Client().post("/accounts/password/reset/", {"email": outsider.email})
    assert response.status_code == 302
    assert outsider.email in mail.outbox[-1].to


def test_optional_verification_also_holds_the_credits_until_verified(settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    client = Client()
    signup(client, "bob@example.com")
    bob = User.objects.get(email="bob@example.com")
    assert bob.credits == 0
    client.post(confirm_link())
    bob.refresh_from_db()
    assert bob.credits == 25


def test_without_verification_credits_come_at_sign_up():
    signup(Client(), "carl@example.com")
    assert User.objects.get(email="carl@example.com").credits == 25


def test_invite_mode_without_a_valid_invite_is_closed(invite_only):
    for url in ["/accounts/signup/", "/accounts/signup/?invite=forged"]:
        client = Client()
        assert b"Sign Up Closed" in client.get(url).content
        signup(client, "sneaky@example.com", url)
    _, raw = Invite.issue(by=None, expires_at=timezone.now() - timedelta(seconds=1))
    client = Client()
    client.get(f"/accounts/signup/?invite={raw}")
    signup(client, "late@example.com")
    assert not User.objects.exists()


def test_staff_make_an_invite_that_lets_exactly_one_sign_up_through(invite_only, settings):
    boss = User.objects.create_superuser("boss@example.com", PASSWORD)
    admin = Client()
    admin.force_login(boss)
    response = admin.post(
        "/admin/accounts/invite/add/",
        {"note": "for Dana", "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"},
        follow=True,
    )
    match = re.search(r"http://testserver(/accounts/signup/\?invite=[\w-]+)", response.content.decode())
    assert match is not None, response.content
    link = match.group(1)
    # Two people open the link; both see the form.
    dana, eve = Client(), Client()
    assert b"Sign Up Closed" not in dana.get(link).content
    assert b"Sign Up Closed" not in eve.get(link).content
    assert signup(dana, "dana@example.com").status_code == 302
    assert b"Sign Up Closed" in signup(eve, "eve@example.com").content
    assert list(User.objects.exclude(pk=boss.pk).values_list("email", flat=True)) == ["dana@example.com"]
    invite = Invite.objects.get()
    assert invite.used_by == User.objects.get(email="dana@example.com")
    assert invite.status == "used"
    assert invite.created_by == boss
    # The raw key is nowhere in the database.
    assert link.split("=", 1)[1] not in invite.key_hash


def test_an_invite_is_claimed_once_even_by_a_sign_up_that_passed_the_first_check(invite_only):
    # Two sign-ups can both pass the form's "is the invite open?" check; the claim is the real gate.
    invite, _ = Invite.issue(by=None)
    first, second = UserFactory.create(), UserFactory.create()
    assert invite.claim(first)
    assert invite.claim(first)  # the social sign-up form passes twice for the same account
    assert not invite.claim(second)
    invite.refresh_from_db()
    assert invite.used_by == first


def test_a_sign_up_that_loses_the_race_for_its_invite_is_rolled_back(invite_only):
    invite, raw = Invite.issue(by=None)
    rival = UserFactory.create()

    def rival_wins_meanwhile(sender: type[User], instance: User, **kwargs: object) -> None:
        # Between Eve's "is the invite open?" check and her account's creation, someone else spends it.
        if instance.pk is None and instance.email == "eve@example.com":
            assert invite.claim(rival)

    pre_save.connect(rival_wins_meanwhile, sender=User, weak=False)
    try:
        client = Client()
        client.get(f"/accounts/signup/?invite={raw}")
        response = signup(client, "eve@example.com")
    finally:
        pre_save.disconnect(rival_wins_meanwhile, sender=User)
    assert response.status_code == 403
    # Eve's account is rolled back (the rival's claim too, here: it ran on the same connection).
    assert not User.objects.filter(email="eve@example.com").exists()


def github_answers(email: str, verified: bool = True) -> None:
    responses.post("https://github.com/login/oauth/access_token", json={"access_token": "gho_token"})
    responses.get("https://api.github.com/user", json={"id": 4242, "login": "octo", "name": "Octo", "email": email})
    responses.get("https://api.github.com/user/emails", json=[{"email": email, "primary": True, "verified": verified}])


def github_sign_in(client: Client) -> None:
    state = start_flow(client, "github", "github.com")
    client.get("/accounts/github/login/callback/", {"code": "c", "state": state})


@responses.activate
@pytest.mark.parametrize("mode", ["closed", "domain", "invite"])
def test_oauth_sign_up_obeys_the_signup_mode(settings, mode):
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    settings.SIGNUP = mode
    settings.SIGNUP_EMAIL_DOMAINS = ["example.org"]
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory" if mode == "domain" else "none"
    github_answers("octo@elsewhere.example")
    github_sign_in(Client())
    assert not User.objects.exists()


@responses.activate
def test_oauth_sign_up_inside_the_domain_with_a_provider_verified_address_gets_credits_at_once(domain, settings):
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    github_answers("octo@example.org", verified=True)
    client = Client()
    github_sign_in(client)
    octo = User.objects.get(email="octo@example.org")
    assert octo.credits == 25
    assert client.get("/api/v1/me").status_code == 200


@responses.activate
def test_oauth_sign_up_with_an_invite_spends_it(invite_only, settings):
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    invite, raw = Invite.issue(by=None)
    github_answers("octo@elsewhere.example")
    client = Client()
    client.get(f"/accounts/signup/?invite={raw}")
    github_sign_in(client)
    octo = User.objects.get(email="octo@elsewhere.example")
    invite.refresh_from_db()
    assert invite.used_by == octo
