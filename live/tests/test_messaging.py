from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.tests.factories import UserFactory
from live import events, presence


@pytest.fixture
def inbox():
    """A channel subscribed to one user's group, as their browser tab would be."""
    layer = get_channel_layer()
    channels: list[str] = []

    def subscribe(user_id: int) -> str:
        name = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(events.user_group(user_id), name)
        channels.append(name)
        return name

    def receive(name: str) -> dict:
        return async_to_sync(layer.receive)(name)

    subscribe.receive = receive  # type: ignore[attr-defined]
    return subscribe


def post_message(client, user_id, message):
    return client.post(
        "/api/v1/socket/send-message", {"user_id": user_id, "message": message}, content_type="application/json"
    )


@pytest.mark.django_db
def test_a_message_reaches_the_recipients_group(authed_client, user, inbox):
    bob = UserFactory.create()
    channel = inbox(bob.pk)
    response = post_message(authed_client, bob.pk, "lunch?")
    assert response.status_code == 200
    assert response.json() == {"sent": True, "user_id": bob.pk}
    message = inbox.receive(channel)
    assert message["event"] == "user_message"
    assert message["context"]["message"] == "lunch?"
    assert message["context"]["sender_name"] == user.display_name


@pytest.mark.django_db
def test_a_message_to_an_unknown_user_is_404(authed_client):
    response = post_message(authed_client, 999999, "hello")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such user."


@pytest.mark.django_db
def test_a_message_over_500_characters_is_400(authed_client, user):
    response = post_message(authed_client, user.pk, "x" * 501)
    assert response.status_code == 400
    assert "message" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"user_id": "abc", "message": "x"}, {"user_id": 1}])
def test_malformed_message_requests_are_400(authed_client, payload):
    response = authed_client.post("/api/v1/socket/send-message", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.django_db
def test_an_empty_message_is_refused(authed_client, user):
    assert post_message(authed_client, UserFactory.create().pk, "   ").status_code == 400


@pytest.mark.django_db
def test_message_flooding_is_rate_limited(authed_client):
    bob = UserFactory.create()
    statuses = [post_message(authed_client, bob.pk, f"m{i}").status_code for i in range(22)]
    assert statuses[:20] == [200] * 20
    assert statuses[-1] == 429
    refused = post_message(authed_client, bob.pk, "again")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60  # the one rate-limit helper says when to retry


@pytest.mark.django_db
def test_the_message_form_sends_and_confirms_with_a_toast(authed_client, inbox):
    bob = UserFactory.create(name="Bob")
    channel = inbox(bob.pk)
    response = authed_client.post("/messages/new/", {"recipient": bob.pk, "message": "hi"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Message sent to Bob." in response["HX-Trigger"]
    assert inbox.receive(channel)["context"]["message"] == "hi"


@pytest.mark.django_db
def test_the_message_form_shows_why_it_refused(authed_client):
    response = authed_client.post("/messages/new/", {"recipient": 123456, "message": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert "This field is required" in html


@pytest.mark.django_db
def test_socket_status_reports_the_connected_count(authed_client, user):
    async_to_sync(presence.join)(user.pk, "test-channel")
    body = authed_client.get("/api/v1/socket/status").json()
    assert body == {"connected_users": 1, "connected": True}
