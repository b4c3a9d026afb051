from __future__ import annotations

import pytest

from core.redis_client import sync_client
from player.protocol import heartbeat_key
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


def test_with_no_player_a_play_is_503_and_free(authed_client, user, sdb):
    sync_client().delete(heartbeat_key("main"))
    sound = SoundFactory.create(filename="x.wav")
    (sdb / "x.wav").write_bytes(b"RIFF")
    response = authed_client.post(f"/api/v1/sounds/play/{sound.pk}")
    assert response.status_code == 503
    assert (
        response.json()["detail"]
        == "The player of room “main” is offline, so nothing was played and nothing was charged."
    )
    user.refresh_from_db()
    assert user.credits == 25
    htmx = authed_client.post(f"/player/play/{sound.pk}/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 503
    assert "offline" in htmx["HX-Trigger"]
    assert authed_client.post("/api/v1/sounds/stop").status_code == 503
