"""My extractions: paste a link, watch it become a sound; staff see the queue."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from extraction import services
from extraction.forms import ExtractionForm
from extraction.models import Extraction
from extraction.status import WorkersSeen, checked_ago, extraction_workers, queue_status, seen_workers
from web.decorators import staff_required
from web.toasts import add_toast
from web.types import AuthedRequest


def _context(request: AuthedRequest, form: ExtractionForm | None = None) -> dict[str, object]:
    context: dict[str, object] = {
        "form": form or ExtractionForm(),
        "jobs": Extraction.objects.for_user(request.user.pk).select_related("sound")[:50],
        # Without asking the workers (a broadcast's whole timeout): the beat's latest answer, with its age. With no
        # recent answer the page fetches that line by itself (`workers`).
        "queue": queue_status(workers=False) if request.user.is_staff else None,
    }
    if request.user.is_staff:
        context |= _workers_line(seen_workers())
    return context


def _workers_line(seen: WorkersSeen | None) -> dict[str, object]:
    return {"workers_seen": seen, "workers_age": checked_ago(seen) if seen else ""}


@require_http_methods(["GET", "POST"])
def extraction_list(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "extraction/list.html", _context(request))
    form = ExtractionForm(request.POST)
    template = "extraction/list.html#panel" if request.htmx else "extraction/list.html"
    if not form.is_valid():
        return render(request, template, _context(request, form), status=400)
    # A refusal (credits, the rate limit, the URL guard) is a UserError: web.refusals answers it.
    job = services.submit(
        user=request.user,
        url=form.cleaned_data["url"],
        trim_start=form.cleaned_data.get("trim_start"),
        trim_end=form.cleaned_data.get("trim_end"),
    )
    text = f"Working on it: {job.url[:80]}"
    if not request.htmx:
        messages.success(request, text)
        return redirect("extraction:list")
    return add_toast(render(request, template, _context(request)), text)


@require_POST
def retry(request: AuthedRequest, extraction_id: int) -> HttpResponse:
    job = get_object_or_404(Extraction, pk=extraction_id, user=request.user)
    services.retry(job=job, user=request.user)
    if request.htmx:
        return add_toast(render(request, "extraction/list.html#panel", _context(request)), "Trying again.")
    return redirect("extraction:list")


@staff_required
@require_GET
def workers(request: AuthedRequest) -> HttpResponse:
    """The queue's "Workers" line, asked now: the page loads it when the beat has no recent answer."""
    extraction_workers()
    return render(request, "extraction/list.html#workers", _workers_line(seen_workers()))
