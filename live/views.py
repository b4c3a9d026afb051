"""Pages of the live channel: the re-render after a reconnect, and sending someone a message."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from live import messaging, presence
from live.forms import MessageForm
from web.toasts import add_toast, leave_messages
from web.types import AuthedRequest


@require_GET
def live_refresh(request: AuthedRequest) -> HttpResponse:
    """After a websocket reconnect, or a room chosen on another page, the page may have missed events: send every
    live part fresh. It runs in the background, so the person's waiting messages are left for the page they use."""
    return leave_messages(render(request, "live/refresh.html", {"online": presence.online_count_sync()}))


@require_http_methods(["GET", "POST"])
def send_message(request: AuthedRequest) -> HttpResponse:
    form = MessageForm(
        request.POST if request.method == "POST" else None,
        sender=request.user,
        initial={"recipient": request.GET.get("to")},
    )
    if request.method == "POST" and form.is_valid():
        # A refusal (rate limit, recipient gone) is a UserError: web.refusals answers it.
        recipient = messaging.send_message(
            sender=request.user, recipient_id=form.cleaned_data["recipient"].pk, text=form.cleaned_data["message"]
        )
        text = f"Message sent to {recipient.display_name}."
        if request.htmx:
            fresh = MessageForm(sender=request.user, initial={"recipient": recipient.pk})
            return add_toast(render(request, "messages/send.html#form", {"form": fresh}), text)
        messages.success(request, text)
        return redirect("send_message")
    status = 400 if request.method == "POST" else 200
    template = "messages/send.html#form" if request.htmx and request.method == "POST" else "messages/send.html"
    return render(request, template, {"form": form}, status=status)
