"""Profile page: display name, API tokens, and ready-made triggers (a sound's curl line, Stream Deck and Home
Assistant settings)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import services, triggers
from accounts.forms import ApiTokenForm, ProfileForm
from accounts.models import ApiToken
from sounds.models import Sound
from web.toasts import add_toast
from web.types import AuthedRequest


def _tokens(request: AuthedRequest) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=request.user)


def recently_authenticated(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ask for the password again unless the user confirmed it in the last few minutes (allauth's
    reauthentication): a stolen session cookie alone must not mint long-lived API credentials.

    Without JavaScript allauth keeps the POST and replays it after the password; an htmx request cannot
    follow that dance inside a fragment, so the whole page goes to the password prompt and comes back here.
    """
    guarded: Callable[..., HttpResponse] = reauthentication_required(view)  # allauth is untyped

    @wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return guarded(request, *args, **kwargs)
        except ReauthenticationRequired:
            if not request.htmx:
                raise
            back = urlencode({"next": reverse("accounts:profile")})
            return HttpResponseClientRedirect(f"{reverse('account_reauthenticate')}?{back}")

    return wrapper


@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            if not request.htmx:
                messages.success(request, "Profile saved.")
                return redirect("accounts:profile")
            response = render(request, "accounts/profile.html#name_form", {"form": form})
            return add_toast(response, "Profile saved.")
        status = 400
    else:
        status = 200
    context = {"form": form, "token_form": ApiTokenForm(), "tokens": _tokens(request), **_random_trigger(request)}
    template = (
        "accounts/profile.html#name_form" if request.htmx and request.method == "POST" else "accounts/profile.html"
    )
    return render(request, template, context, status=status)


@require_POST
@recently_authenticated
def create_token(request: AuthedRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        context = {"token_form": form, "tokens": _tokens(request), **_random_trigger(request)}
        if request.htmx:
            return render(request, "accounts/profile.html#tokens", context, status=400)
        return render(
            request, "accounts/profile.html", {**context, "form": ProfileForm(instance=request.user)}, status=400
        )
    token, raw = ApiToken.issue(user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at())
    context = {
        "token_form": ApiTokenForm(),
        "tokens": _tokens(request),
        "new_token": raw,
        "new_token_obj": token,
        **_random_trigger(request, token=raw),
    }
    if request.htmx:
        return add_toast(render(request, "accounts/profile.html#tokens", context), "Token created.")
    # Without JavaScript the raw token is shown on this one response too: it is never stored.
    return render(request, "accounts/profile.html", {**context, "form": ProfileForm(instance=request.user)})


@require_POST
def revoke_token(request: AuthedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.revoke_tokens(ApiToken.objects.filter(pk=token.pk))
    if request.htmx:
        context = {"token_form": ApiTokenForm(), "tokens": _tokens(request), **_random_trigger(request)}
        return add_toast(render(request, "accounts/profile.html#tokens", context), f"Token “{token.name}” revoked.")
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:profile")


def _random_trigger(request: AuthedRequest, token: str = triggers.PLACEHOLDER) -> dict[str, object]:
    return {"random_trigger": triggers.play_random(base_url=request.build_absolute_uri("/"), token=token)}


@require_http_methods(["GET", "POST"])
def trigger(request: AuthedRequest, sound_id: int) -> HttpResponse:
    """One sound's trigger: the play URL, a curl line, Stream Deck and Home Assistant settings. With a token of
    yours chosen, the lines name it (its value was shown once, when it was made); a POST makes a new token
    and shows the lines with it, this once."""
    sound = get_object_or_404(Sound.objects.visible_to(request.user), pk=sound_id)
    if request.method == "POST":
        return _trigger_with_new_token(request, sound)
    usable = list(ApiToken.objects.usable().filter(user=request.user))
    chosen = next((t for t in usable if str(t.pk) == request.GET.get("token")), None)
    name_form = ApiTokenForm(initial={"name": f"Trigger: {sound.name}"[:100]})
    return render(request, "accounts/trigger.html", _trigger_context(request, sound, name_form, usable, chosen))


@recently_authenticated
def _trigger_with_new_token(request: AuthedRequest, sound: Sound) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    usable = list(ApiToken.objects.usable().filter(user=request.user))
    if not form.is_valid():
        return render(request, "accounts/trigger.html", _trigger_context(request, sound, form, usable), status=400)
    token, raw = ApiToken.issue(user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at())
    context = _trigger_context(request, sound, ApiTokenForm(), [token, *usable], token, raw)
    # Shown on this one response only: the token is never stored, so the page must not be cached either.
    response = render(request, "accounts/trigger.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _trigger_context(
    request: AuthedRequest,
    sound: Sound,
    form: ApiTokenForm,
    usable: list[ApiToken],
    chosen: ApiToken | None = None,
    raw: str = "",
) -> dict[str, object]:
    trigger = triggers.play_sound(
        base_url=request.build_absolute_uri("/"),
        sound_id=sound.pk,
        sound_name=sound.name,
        token=raw or triggers.PLACEHOLDER,
    )
    return {
        "sound": sound,
        "trigger": trigger,
        "token_form": form,
        "tokens": usable,
        "chosen": chosen,
        "new_token": raw,
    }
