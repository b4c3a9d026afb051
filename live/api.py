"""The seed's socket endpoints: who is connected, and sending a message to a user."""

from __future__ import annotations

from django.conf import settings
from ninja import Router, Schema
from pydantic import Field

from live import messaging, presence
from web.types import AuthedRequest

router = Router(tags=["socket"])


class SocketStatus(Schema):
    connected_users: int
    connected: bool


class MessageIn(Schema):
    user_id: int
    message: str = Field(max_length=settings.MESSAGE_MAX_LENGTH)


class MessageOut(Schema):
    sent: bool
    user_id: int


@router.get("/status", response=SocketStatus)
def status(request: AuthedRequest) -> SocketStatus:
    online = presence.online_user_ids_sync()
    return SocketStatus(connected_users=len(online), connected=request.user.pk in online)


@router.post("/send-message", response=MessageOut)
def send_message(request: AuthedRequest, payload: MessageIn) -> MessageOut:
    recipient = messaging.send_message(sender=request.user, recipient_id=payload.user_id, text=payload.message)
    return MessageOut(sent=True, user_id=recipient.pk)
