"""The library page (the signed-in home), upload, and the staff tools on it."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from board import services as board
from core.errors import UserError
from sounds import browse, cards, scanner, services, speech, tagfilter, uploads
from sounds.forms import (
    FavoriteForm,
    LibraryFilterForm,
    MenuForm,
    NormalizeAllForm,
    RenameForm,
    SoundDetailsForm,
    TtsForm,
    UploadForm,
)
from sounds.models import PlaySource, Sort, Sound, SoundPlayed, SoundType
from sounds.upload_handlers import refused_files
from web.decorators import staff_required
from web.toasts import add_toast
from web.types import AuthedRequest


def library_page(request: AuthedRequest) -> dict[str, object]:
    """The library context for the current filters: shared by the page and its htmx partials."""
    form = LibraryFilterForm(request.GET)
    f = form.values()
    filters = form.board_filters()
    sounds = browse.filtered(request.user, filters).sorted_by(f["sort"])
    hotkeys = board.bindings(request.user)
    keys = {h.key: h.sound_id for h in hotkeys}
    # Counted without the uploader's join, which only the page's rows need.
    paginator = Paginator(sounds, per_page=_page_size(), allow_empty_first_page=True)
    page = paginator.get_page(f["page"])
    bottom = (page.number - 1) * paginator.per_page
    values = list(sounds.values_list(*cards.COLUMNS)[bottom : bottom + paginator.per_page])
    ids = [v[0] for v in values]
    rows = cards.rows(values, browse.tag_names(ids), timezone.now())
    return {
        "cards": cards.render(
            rows,
            user=request.user,
            favorites=browse.favorite_ids(request.user.pk, among=ids),
            keys={sound_id: key for key, sound_id in keys.items()},
        ),
        "urls": cards.card_urls(),
        "csrf_input": _csrf_input(request),
        "filters": f,
        "page_obj": page,
        "sounds": rows,
        "total": paginator.count,
        "type_choices": SoundType.choices,
        "sort_choices": Sort.choices,
        "library_empty": paginator.count == 0 and not filters.narrowed,
        "hotkey_map": keys,
        "hotkeys": hotkeys,
    }


def _csrf_input(request: AuthedRequest) -> str:
    # Made once per page, for the board's forms that work without JavaScript (the cards' one form, Random).
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))


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
    filters = cast(dict[str, Any], context["filters"])
    context["tag_chips"] = tagfilter.chips(filters["tags"])  # the full page only, not the partials
    context["upload_form"] = UploadForm()
    context["show_hint"] = not request.session.get(HINT_SEEN)
    context["board_view"] = board.view_of(request.user)
    context["plan"] = request.user.plan
    # The room's instant plays only: the music player's tracks would fill the feed.
    context["recent_plays"] = SoundPlayed.objects.exclude(source=PlaySource.PLAYER).select_related(
        "sound", "user", "room"
    )[:8]
    if request.user.is_staff:
        context["last_scan"] = scanner.latest()
    return render(request, "sounds/library.html", context)


@require_http_methods(["GET", "POST"])
def upload(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, _upload_template(request), {"upload_form": UploadForm()})
    too_large = refused_files(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid() and not too_large:
        return render(request, _upload_template(request), {"upload_form": form}, status=400)
    files = form.cleaned_data["audio"] if form.is_valid() else []
    # Every file gets its own line, and a batch answers 200 whatever its files' fates: one file refused must not
    # hide the others that were added. A single file's refusal keeps its own status (413 too large, 409…).
    single = len(files) + len(too_large) == 1
    outcomes: list[dict[str, object]] = []
    status = 200
    for refused in too_large:
        # Left out by the upload handler as it arrived (nothing of it was kept).
        outcomes.append({"name": refused.name, "ok": False, "detail": refused.detail, "existing": None})
        status = refused.status if single else status
    for uploaded in files:
        # This is the one view that catches a UserError (see above).
        try:
            sound = uploads.import_upload(uploaded=uploaded, user=request.user)
        except UserError as exc:
            existing = exc.existing if isinstance(exc, services.UploadError) else None
            outcomes.append({"name": uploaded.name, "ok": False, "detail": exc.detail, "existing": existing})
            status = exc.status if single else status
        else:
            outcomes.append({"name": uploaded.name, "ok": True, "sound": sound})
    added = sum(1 for o in outcomes if o["ok"])
    if added:
        uploads.announce_added()  # every board, this one too (a header asking this one again made it re-read twice)
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
    # The board's form posts with hx-swap="none": the star comes back out of band, morphed in place (keeps focus).
    return HttpResponse(cards.star(sound, favorite=on))


@require_GET
def menu(request: AuthedRequest, sound_id: int) -> HttpResponse:
    """A sound's menus: on the board, the one a card's button asks for (`part`), fetched into the board's single
    menu; without JavaScript, a page with both."""
    part = MenuForm(request.GET).wanted()
    if part == "manage":
        sound = services.sound_for_editing(user=request.user, sound_id=sound_id)  # 404 / 403 refusals
    else:
        sound = browse.visible_sound(request.user, sound_id)
    context = {"sound": sound, "editable": sound.editable_by(request.user), "queue_cost": settings.CREDIT_COST_PLAYER}
    if request.htmx and part:
        return render(request, f"sounds/menu.html#{part}", context)
    return render(request, "sounds/menu.html", context)


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
