"""Live events are typed where they are made, and cross the channel layer as plain JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from live import events, rendering
from live.contexts import SoundPlayed, Toast


def test_a_misspelt_or_missing_field_is_refused_at_the_sender() -> None:
    with pytest.raises(ValidationError):
        Toast(mesage="typo")  # type: ignore[call-arg]  # the mistake under test
    with pytest.raises(ValidationError):
        Toast(message="hi", level="loud")  # type: ignore[arg-type]  # the mistake under test


def test_an_event_crosses_as_its_name_and_a_json_context_and_renders_from_it() -> None:
    played_at = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    event = SoundPlayed(
        sound_id=3, sound_name="Horn", play_count=9, user_id=None, source="board", played_at=played_at, room="main"
    )
    message = events.message(event)
    assert message["event"] == "sound_played"
    assert message["context"]["played_at"] == played_at.isoformat().replace("+00:00", "Z")
    html = rendering.html_for(message)
    assert 'id="sound-3-plays"' in html
    assert ">9</span>" in html
    assert "the music player" in html  # no user name: the player's own play
