"""Shell-level pages: the signed-in home, live re-render after a reconnect, messages, error pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from soundboard import messaging, presence
from soundboard.forms import MessageForm
from soundboard.toasts import add_toast
from soundboard.types import AuthedRequest


@require_GET
def live_refresh(request: AuthedRequest) -> HttpResponse:
    """After a websocket reconnect the page may have missed events: send every live part fresh."""
    return render(request, "live/refresh.html", {"online": presence.online_count_sync()})


@require_http_methods(["GET", "POST"])
def send_message(request: AuthedRequest) -> HttpResponse:
    form = MessageForm(
        request.POST if request.method == "POST" else None,
        sender=request.user,
        initial={"recipient": request.GET.get("to")},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            recipient = form.cleaned_data["recipient"]
            try:
                messaging.send_message(
                    sender=request.user, recipient_id=recipient.pk, text=form.cleaned_data["message"]
                )
            except messaging.MessageError as exc:
                form.add_error(None, exc.detail)
                status = exc.status
            else:
                text = f"Message sent to {recipient.display_name}."
                if request.htmx:
                    fresh = MessageForm(sender=request.user, initial={"recipient": recipient.pk})
                    return add_toast(render(request, "messages/send.html#form", {"form": fresh}), text)
                messages.success(request, text)
                return redirect("send_message")
        else:
            status = 400
    template = "messages/send.html#form" if request.htmx and request.method == "POST" else "messages/send.html"
    return render(request, template, {"form": form}, status=status)


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever broke may be in a context processor or the database.
    from django.template.loader import get_template

    return HttpResponse(get_template("500.html").render(), status=500)


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403.html", {"reason": "Your form expired. Reload the page and try again."}, status=403)
