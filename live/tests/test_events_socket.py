"""/ws/events/: the live events as JSON for programs — who may connect, who gets what, and when it ends."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.tests.factories import PASSWORD, UserFactory
from credits.models import CreditAction
from credits.services import debit
from extraction.models import Extraction
from extraction.services import give_up
from live import consumers, events, programs
from live.contexts import Presence, Toast
from live.messaging import send_message
from live.tests.sockets import closed_with, connect_events, receive_event
from player.protocol import PlayerStateChanged, PublishedState

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMAS = Path(settings.BASE_DIR) / "docs" / "events"


def validate(event: dict[str, Any]) -> None:
    """Hold a received event to its published JSON Schema (docs/events/<event>.schema.json)."""
    schema = json.loads((SCHEMAS / f"{event['event']}.schema.json").read_text())
    jsonschema_rs.validator_for(schema).validate(event)


async def program(**user_fields: Any) -> tuple[User, ApiToken, str]:
    user = await sync_to_async(UserFactory.create)(**user_fields)
    token, raw = await sync_to_async(ApiToken.issue)(user=user, name="deck")
    return user, token, raw


# --- Who may connect ------------------------------------------------------------------------------------------
async def test_a_program_connects_with_a_token_and_no_origin():
    _, _, raw = await program()
    ws, connected, _ = await connect_events(token=raw, origin=None)
    assert connected
    await ws.disconnect()


async def test_a_page_connects_with_its_session():
    user = await sync_to_async(UserFactory.create)()
    ws, connected, _ = await connect_events(user=user)
    assert connected
    await ws.disconnect()


@pytest.mark.parametrize(
    "authorization",
    ["Bearer sb_unknown", "Bearer ", "Bearer", "Basic dXNlcjpwdw==", "Bearer " + "x" * 5000, "sb_no_scheme"],
)
async def test_an_unknown_or_malformed_token_is_refused(authorization):
    _, connected, code = await connect_events(authorization=authorization, origin=None)
    assert not connected
    assert code == consumers.CLOSE_UNAUTHENTICATED


async def test_a_bad_token_is_refused_even_beside_a_valid_session():
    # A broken integration must not silently act as the browser's user.
    user = await sync_to_async(UserFactory.create)()
    _, connected, _ = await connect_events(user=user, authorization="Bearer sb_nope")
    assert not connected


async def test_an_anonymous_socket_is_refused_with_or_without_an_origin():
    assert not (await connect_events())[1]
    assert not (await connect_events(origin=None))[1]


async def test_a_foreign_origin_is_refused_with_a_session_and_with_a_token():
    user, _, raw = await program()
    assert not (await connect_events(user=user, origin=b"https://evil.example"))[1]
    assert not (await connect_events(token=raw, origin=b"https://evil.example"))[1]


async def test_a_session_without_an_origin_is_refused():
    # Only a token may come without an Origin: a cookie alone must come from this site's own pages.
    user = await sync_to_async(UserFactory.create)()
    assert not (await connect_events(user=user, origin=None))[1]


async def test_a_revoked_or_expired_token_is_refused():
    _, token, raw = await program()
    await sync_to_async(token.revoke)()
    assert not (await connect_events(token=raw, origin=None))[1]
    user = await sync_to_async(UserFactory.create)()
    _, expired = await sync_to_async(ApiToken.issue)(
        user=user, name="old", expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert not (await connect_events(token=expired, origin=None))[1]


async def test_a_disabled_users_token_and_session_are_refused():
    user, _, raw = await program(is_active=False)
    assert not (await connect_events(token=raw, origin=None))[1]
    assert not (await connect_events(user=user))[1]


# --- Who gets what ----------------------------------------------------------------------------------------------
async def test_a_program_gets_its_own_credit_events_and_never_anothers():
    alice, _, alice_raw = await program()
    bob = await sync_to_async(UserFactory.create)()
    ws, _, _ = await connect_events(token=alice_raw, origin=None)
    await sync_to_async(debit)(user_id=bob.pk, amount=3, action=CreditAction.VLC_PLAY_SOUND)
    tx = await sync_to_async(debit)(user_id=alice.pk, amount=2, action=CreditAction.VLC_PLAY_SOUND)
    # Bob's debit came first; the first credit event Alice's program reads is her own.
    event = await receive_event(ws, "user_credits_changed")
    assert event["data"] == {
        "before": 25,
        "after": 23,
        "amount": -2,
        "action": "vlc_play_sound",
        "action_label": "Played a sound",
        "transaction_id": tx.pk,
    }
    validate(event)
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_messages_and_extraction_progress_reach_only_their_user():
    alice, _, alice_raw = await program()
    bob, _, bob_raw = await program()
    ws_alice, _, _ = await connect_events(token=alice_raw, origin=None)
    ws_bob, _, _ = await connect_events(token=bob_raw, origin=None)
    await sync_to_async(send_message)(sender=bob, recipient_id=alice.pk, text="<b>hi</b> Alice")
    job = await Extraction.objects.acreate(url="https://example.com/v", user=alice, status="processing")
    await sync_to_async(give_up)(job, "the link went away")
    message = await receive_event(ws_alice, "user_message")
    assert message["data"] == {"sender": {"id": bob.pk, "name": bob.display_name}, "message": "<b>hi</b> Alice"}
    validate(message)
    progress = await receive_event(ws_alice, "extraction_progress")
    assert progress["data"]["job"]["id"] == job.pk
    assert progress["data"]["job"]["status"] == "failed"
    assert progress["data"]["job"]["error"] == "the link went away"
    validate(progress)
    # Bob's program hears of neither.
    assert await ws_bob.receive_nothing(timeout=0.3)
    await ws_alice.disconnect()
    await ws_bob.disconnect()


async def test_player_state_reaches_every_program_and_page_only_events_reach_none():
    _, _, raw = await program()
    ws, _, _ = await connect_events(token=raw, origin=None)
    await events.abroadcast(Toast(message="for pages"))
    await events.abroadcast(Presence(online=3))
    await events.abroadcast(PlayerStateChanged(room="main", state=PublishedState(status="paused", volume=40)))
    event = await receive_event(ws, "player_state")
    assert event["data"]["state"]["status"] == "paused"
    assert event["data"]["state"]["volume"] == 40
    validate(event)
    assert await ws.receive_nothing(timeout=0.2)
    await ws.disconnect()


async def test_one_event_has_the_same_id_on_every_socket():
    _, _, raw_a = await program()
    _, _, raw_b = await program()
    ws_a, _, _ = await connect_events(token=raw_a, origin=None)
    ws_b, _, _ = await connect_events(token=raw_b, origin=None)
    await events.abroadcast(PlayerStateChanged(room="main", state=PublishedState()))
    first, second = await receive_event(ws_a, "player_state"), await receive_event(ws_b, "player_state")
    assert first == second
    await ws_a.disconnect()
    await ws_b.disconnect()


# --- When it ends -----------------------------------------------------------------------------------------------
async def test_disabling_the_user_closes_their_program_sockets():
    user, _, raw = await program()
    ws, _, _ = await connect_events(token=raw, origin=None)

    def disable() -> None:
        user.is_active = False
        user.save()

    await sync_to_async(disable)()
    assert await closed_with(ws) == consumers.CLOSE_DISABLED


async def test_revoking_the_token_through_the_api_closes_the_socket_it_opened():
    user = await sync_to_async(UserFactory.create)()
    login = await sync_to_async(Client().post)(
        "/api/v1/auth/token", {"email": user.email, "password": PASSWORD}, content_type="application/json"
    )
    raw = login.json()["token"]
    _, _, other_raw = await program()
    ws, connected, _ = await connect_events(token=raw, origin=None)
    other, _, _ = await connect_events(token=other_raw, origin=None)
    assert connected
    response = await sync_to_async(Client().delete)("/api/v1/auth/token", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 204
    assert await closed_with(ws) == consumers.CLOSE_UNAUTHENTICATED
    # Another token's socket stays open and still hears events.
    await events.abroadcast(PlayerStateChanged(room="main", state=PublishedState()))
    await receive_event(other, "player_state")
    await other.disconnect()


async def test_a_password_change_closes_the_sockets_of_every_token():
    user, _, raw = await program()
    ws, _, _ = await connect_events(token=raw, origin=None)

    def change_password() -> None:
        user.set_password("a-brand-new-secret-77")
        user.save()

    await sync_to_async(change_password)()
    assert await closed_with(ws) == consumers.CLOSE_UNAUTHENTICATED


async def test_a_token_revoked_without_a_close_message_is_caught_by_the_recheck(monkeypatch):
    monkeypatch.setattr(consumers, "TOKEN_RECHECK_SECONDS", 0.1)
    _, token, raw = await program()
    ws, _, _ = await connect_events(token=raw, origin=None)
    # The model method alone sends nothing (like a close message the channel layer lost).
    await sync_to_async(token.revoke)()
    assert await closed_with(ws) == consumers.CLOSE_UNAUTHENTICATED


async def test_a_token_that_expires_while_connected_closes_its_socket():
    user = await sync_to_async(UserFactory.create)()
    _, raw = await sync_to_async(ApiToken.issue)(
        user=user, name="brief", expires_at=timezone.now() + timedelta(seconds=1)
    )
    ws, connected, _ = await connect_events(token=raw, origin=None)
    assert connected
    assert await closed_with(ws, timeout=5) == consumers.CLOSE_UNAUTHENTICATED


# --- What a program sends ---------------------------------------------------------------------------------------
async def test_a_few_frames_from_a_program_are_ignored():
    _, _, raw = await program()
    ws, _, _ = await connect_events(token=raw, origin=None)
    for frame in ["ping", '{"event": "user_credits_changed"}', "x" * 10_000]:
        await ws.send_to(text_data=frame)
    await ws.send_to(bytes_data=b"\x00\x01")
    await events.abroadcast(PlayerStateChanged(room="main", state=PublishedState()))
    await receive_event(ws, "player_state")
    await ws.disconnect()


async def test_a_thousand_frames_close_that_socket_and_nothing_else():
    _, _, raw = await program()
    _, _, quiet_raw = await program()
    quiet, _, _ = await connect_events(token=quiet_raw, origin=None)
    ws, _, _ = await connect_events(token=raw, origin=None)
    for n in range(1000):
        await ws.send_to(text_data=f"frame {n}")
    assert await closed_with(ws) == consumers.CLOSE_POLICY
    # The server carries on: the quiet program still hears, and the flooder may come back.
    await events.abroadcast(PlayerStateChanged(room="main", state=PublishedState()))
    await receive_event(quiet, "player_state")
    again, connected, _ = await connect_events(token=raw, origin=None)
    assert connected
    await again.disconnect()
    await quiet.disconnect()


# --- The published schemas --------------------------------------------------------------------------------------
def test_every_program_event_has_an_up_to_date_schema_in_the_docs():
    call_command("event_schemas", "--check")
    assert {p.name for p in SCHEMAS.glob("*.schema.json")} == {f"{name}.schema.json" for name in programs.EVENTS}


def test_the_schemas_refuse_a_field_the_docs_do_not_name():
    schema = json.loads((SCHEMAS / "user_message.schema.json").read_text())
    validator = jsonschema_rs.validator_for(schema)
    data: dict[str, Any] = {"sender": {"id": 1, "name": "A"}, "message": "hi"}
    good = {"event": "user_message", "id": "x", "data": data}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "data": {**data, "extra": 1}})
    assert not validator.is_valid({**good, "event": "sound_played"})
