"""The library page (the signed-in home), upload, and the staff tools on it."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from board import services as board
from core.errors import UserError
from credits import services as credits
from credits.models import CreditAction
from sounds import browse, scanner, services, speech, uploads
from sounds.forms import (
    FavoriteForm,
    LibraryFilterForm,
    NormalizeAllForm,
    RenameForm,
    SoundDetailsForm,
    TtsForm,
    UploadForm,
)
from sounds.models import PlaySource, Sort, Sound, SoundPlayed, SoundType
from sounds.upload_handlers import refusal
from web.decorators import staff_required
from web.toasts import add_toast
from web.types import AuthedRequest


def library_page(request: AuthedRequest) -> dict[str, object]:
    """The library context for the current filters: shared by the page and its htmx partials."""
    form = LibraryFilterForm(request.GET or None)
    f = form.values() if request.GET else LibraryFilterForm({}).values()
    filters = form.board_filters() if request.GET else browse.Filters()
    sounds = (
        browse.filtered(request.user, filters)
        .sorted_by(f["sort"])
        .with_board_details()
        .only(
            "id",
            "name",
            "type",
            "duration",
            "play_count",
            "is_normalized",
            "normalization_error",
            "normalization_status",
            "created_at",
            "next_play_at",
            "emoji",
            "color",
            "thumbnail",
            "uploaded_by",
            "uploaded_by__name",
            "uploaded_by__email",
        )
    )
    hotkeys = board.bindings(request.user)
    keys = {h.key: h.sound_id for h in hotkeys}
    paginator = Paginator(sounds, per_page=_page_size(), allow_empty_first_page=True)
    page = paginator.get_page(f["page"])
    return {
        "urls": _card_urls(),
        "csrf_input": _csrf_input(request),
        "filters": f,
        "form": form,
        "page_obj": page,
        "sounds": page.object_list,
        "favorites": browse.favorite_ids(request.user.pk),
        "now": timezone.now(),
        "total": paginator.count,
        "type_choices": SoundType.choices,
        "sort_choices": Sort.choices,
        "library_empty": paginator.count == 0 and not filters.narrowed,
        "queue_cost": settings.CREDIT_COST_PLAYER,
        "sound_keys": {sound_id: key for key, sound_id in keys.items()},
        "hotkey_map": keys,
        "hotkeys": hotkeys,
        "play_cost": credits.cost_of(CreditAction.VLC_PLAY_SOUND),
    }


def _csrf_input(request: AuthedRequest) -> str:
    # Made once per page (not a {% csrf_token %} per card): the cards' forms for browsers without JavaScript.
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))


@functools.cache
def _card_urls() -> dict[str, str]:
    """Prefixes of the per-card URLs, to which a card appends its id (see the template)."""
    return {
        "play": reverse("player:play", args=[1]).removesuffix("1/"),
        "download": reverse("api:sound_download", args=[1]).removesuffix("1/download"),
        "preview": reverse("api:sound_preview", args=[1]).removesuffix("1/preview"),
        "thumbnail": reverse("api:sound_thumbnail", args=[1]).removesuffix("1/thumbnail"),
        "favorite": reverse("sounds:favorite", args=[1]).removesuffix("1/favorite/"),
        "edit": reverse("sounds:edit", args=[1]).removesuffix("1/edit/"),
        "queue": reverse("player:queue_add"),
        "bind": reverse("board:bind"),
        "trigger": reverse("accounts:trigger", args=[1]).removesuffix("1/"),
    }


def _page_size() -> int:
    return int(settings.SOUNDS_PAGE_SIZE)


# The first-visit hint (a click plays in the room for credits, the headphones only here, free): shown until the
# person dismisses it, per session, so touch users who never see tooltips read it once.
HINT_SEEN = "board_hint_seen"


@require_POST
def dismiss_hint(request: AuthedRequest) -> HttpResponse:
    request.session[HINT_SEEN] = True
    if request.htmx:
        return HttpResponse("")
    return redirect("home")


@require_GET
def library(request: AuthedRequest) -> HttpResponse:
    context = library_page(request)
    if request.htmx and not request.htmx.boosted:
        # The infinite-scroll sentinel asks for the next cards only; filters replace the whole result block.
        partial = "page" if LibraryFilterForm(request.GET).values()["more"] else "results"
        return render(request, f"sounds/library.html#{partial}", context)
    context["tag_choices"] = browse.tags_in_use()  # the filter form's chips: the full page only, not the partials
    context["upload_form"] = UploadForm()
    context["show_hint"] = not request.session.get(HINT_SEEN)
    context["board_view"] = board.view_of(request.user)
    context["plan"] = request.user.plan
    # The room's instant plays only: the music player's tracks would fill the feed.
    context["recent_plays"] = SoundPlayed.objects.exclude(source=PlaySource.PLAYER).select_related("sound", "user")[:8]
    if request.user.is_staff:
        context["last_scan"] = scanner.latest()
    return render(request, "sounds/library.html", context)


@require_http_methods(["GET", "POST"])
def upload(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, _upload_template(request), {"upload_form": UploadForm()})
    refused = refusal(request)
    form = UploadForm(request.POST, request.FILES)
    if refused is None and not form.is_valid():
        return render(request, _upload_template(request), {"upload_form": form}, status=400)
    outcomes: list[dict[str, object]] = []
    status = 200
    if refused is not None:
        # The upload handler stopped a file past the size limit: it is reported like any other refusal.
        outcomes.append({"name": refused.name, "ok": False, "detail": refused.detail, "existing": None})
        status = refused.status
    for uploaded in form.cleaned_data["audio"] if refused is None else []:
        # Not a refusal of the request: a batch reports every file, and one file refused must not hide the
        # others that were added (so this is the one view that catches a UserError).
        try:
            sound = uploads.import_upload(uploaded=uploaded, user=request.user)
        except UserError as exc:
            existing = exc.existing if isinstance(exc, services.UploadError) else None
            outcomes.append({"name": uploaded.name, "ok": False, "detail": exc.detail, "existing": existing})
            status = exc.status if len(form.cleaned_data["audio"]) == 1 else status
        else:
            outcomes.append({"name": uploaded.name, "ok": True, "sound": sound})
    added = sum(1 for o in outcomes if o["ok"])
    context = {"upload_form": UploadForm(), "outcomes": outcomes}
    if not request.htmx:
        for o in outcomes:
            level = messages.SUCCESS if o["ok"] else messages.ERROR
            messages.add_message(request, level, f"{o['name']}: {'added' if o['ok'] else o['detail']}")
        if added:
            return redirect("home")
        return render(request, "sounds/upload.html", context, status=status)
    response = render(request, _upload_template(request), context, status=status)
    if added:
        add_toast(response, f"{added} sound{'s' if added != 1 else ''} added; normalizing in the background.")
        response.headers["HX-Trigger-After-Settle"] = "library:refresh"
    for o in outcomes:
        if not o["ok"]:
            add_toast(response, f"{o['name']}: {o['detail']}", "error")
    return response


def _upload_template(request: AuthedRequest) -> str:
    return "sounds/upload.html#upload_form" if request.htmx else "sounds/upload.html"


def _staff_done(request: AuthedRequest, text: str) -> HttpResponse:
    if request.htmx:
        return add_toast(HttpResponse(status=204), text)
    messages.success(request, text)
    return redirect("home")


@require_POST
def rename(request: AuthedRequest, sound_id: int) -> HttpResponse:
    """The uploader or staff renames a sound (the API's PATCH goes through the same service)."""
    sound = services.sound_for_editing(user=request.user, sound_id=sound_id)
    form = RenameForm(request.POST)
    if not form.is_valid():
        # A refusal, never a swap: the card stays as it was (a 400 swapped in made the card vanish).
        raise UserError(form.refusal(), 400)
    services.edit_sound(sound=sound, user=request.user, name=form.cleaned_data["name"])
    return _library_changed(request, f"Renamed to “{sound.name}”.")


@require_POST
def delete(request: AuthedRequest, sound_id: int) -> HttpResponse:
    """The uploader or staff deletes a sound and its files."""
    sound = services.sound_for_editing(user=request.user, sound_id=sound_id)
    services.delete_sound(sound=sound, user=request.user)
    return _library_changed(request, f"“{sound.name}” deleted.")


def _library_changed(request: AuthedRequest, text: str) -> HttpResponse:
    """The change's live event (library_changed) makes every open board, this one included, re-read its list
    with its own filters, once: a refresh asked for here as well made this board re-read it twice."""
    if request.htmx:
        return add_toast(HttpResponse(status=204), text)
    messages.success(request, text)
    return redirect("home")


@staff_required
@require_POST
def scan(request: AuthedRequest) -> HttpResponse:
    scanner.request_scan(user_id=request.user.pk)  # ScanAlreadyRunning (409), 503: web.refusals answers
    return _staff_done(request, "Scan started; progress shows below.")


@staff_required
@require_POST
def normalize(request: AuthedRequest, sound_id: int) -> HttpResponse:
    sound = get_object_or_404(Sound, pk=sound_id)
    services.queue_normalization([sound.pk], force=True, user_id=request.user.pk)
    return _staff_done(request, f"Normalizing “{sound.name}”.")


@staff_required
@require_POST
def normalize_all(request: AuthedRequest) -> HttpResponse:
    force = NormalizeAllForm(request.POST).forced()
    qs = Sound.objects.all() if force else Sound.objects.needing_normalization()
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return _staff_done(request, "Every sound is already normalized.")
    services.queue_normalization(ids, force=force, user_id=request.user.pk)
    return _staff_done(request, f"Normalizing {len(ids)} sound{'s' if len(ids) != 1 else ''}.")


@require_http_methods(["GET", "POST"])
def tts(request: AuthedRequest) -> HttpResponse:
    template = "sounds/tts.html#tts_form" if request.htmx else "sounds/tts.html"
    if request.method == "GET":
        return render(request, template, {"tts_form": TtsForm()})
    form = TtsForm(request.POST)
    if not form.is_valid():
        return render(request, template, {"tts_form": form}, status=400)
    # A TtsError or a rate limit is a UserError: web.refusals answers it (status and Retry-After kept).
    job = speech.request_tts(
        user=request.user,
        text=form.cleaned_data["text"],
        voice=form.cleaned_data["voice"],
        speed=form.cleaned_data["speed"],
    )
    text = f"Making “{job.text[:60]}”: it appears on the board in a moment."
    if not request.htmx:
        messages.success(request, text)
        return redirect("home")
    return add_toast(render(request, template, {"tts_form": TtsForm(initial=form.cleaned_data)}), text)


@require_POST
def favorite(request: AuthedRequest, sound_id: int) -> HttpResponse:
    """The card's star. A sound that vanished meanwhile is a 404 refusal (web.refusals says so)."""
    on = FavoriteForm(request.POST).is_valid() and bool(request.POST.get("on"))
    sound = browse.set_favorite(user=request.user, sound_id=sound_id, on=on)
    if not request.htmx:
        return redirect("home")
    context = {
        "sound": sound,
        "favorites": {sound.pk} if on else set(),
        "urls": _card_urls(),
        "csrf_input": _csrf_input(request),
    }
    return render(request, "sounds/library.html#star", context)


@require_http_methods(["GET", "POST"])
def edit(request: AuthedRequest, sound_id: int) -> HttpResponse:
    """The uploader's (or staff's) page for a sound's name, tags, volume, cooldown and face."""
    sound = services.sound_for_editing(user=request.user, sound_id=sound_id)  # 404 / 403 refusals
    if request.method == "GET":
        return render(request, "sounds/edit.html", {"sound": sound, "form": SoundDetailsForm.for_sound(sound)})
    form = SoundDetailsForm(request.POST)
    if not form.is_valid():
        return render(request, "sounds/edit.html", {"sound": sound, "form": form}, status=400)
    services.edit_sound(sound=sound, user=request.user, **form.changes())
    messages.success(request, f"Saved “{sound.name}”.")
    return redirect("home")
