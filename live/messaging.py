"""User-to-user messages: a short text that pops up as a toast on every tab of the recipient."""

from __future__ import annotations

from django.conf import settings

import ratelimits
from accounts.models import User
from core.errors import UserError
from live import events
from live.contexts import UserMessage


class MessageError(UserError):
    pass


def send_message(*, sender: User, recipient_id: int, text: str) -> User:
    text = text.strip()
    if not text:
        raise MessageError("The message is empty.", 400)
    if len(text) > settings.MESSAGE_MAX_LENGTH:
        raise MessageError(f"A message has at most {settings.MESSAGE_MAX_LENGTH} characters.", 400)
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None:
        raise MessageError("No such user.", 404)
    ratelimits.hit("message", sender.pk, "MESSAGE_RATE_LIMIT", detail="You are sending messages too fast; wait a bit.")
    events.send_to_user(recipient.pk, UserMessage(sender_id=sender.pk, sender_name=sender.display_name, message=text))
    return recipient
