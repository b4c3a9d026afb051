"""kill -9 the player in the middle of a clip and in the middle of the music: after a restart, it plays again and
nobody paid for what did not play."""

from __future__ import annotations

import pytest

from credits.models import AttemptState, CreditAction, CreditTransaction
from playlists.services import add_sound, main_playlist
from sounds.models import SoundPlayed
from tests.chaos.common import funded_user, library_sound, token_for
from tests.chaos.harness import Stack, wait_for
from tests.chaos.invariants import assert_nothing_lost, sweep_as_beat

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_player_killed_mid_clip_comes_back_and_charges_only_what_played(stack: Stack):
    stack.start_player()
    stack.start_web()
    user = funded_user()
    token = token_for(user)
    sound = library_sound(stack.sounds_root, "Long drone", 10.0, freq=220)
    play = f"/api/v1/sounds/play/{sound.pk}"
    assert stack.post(play, token) == 200
    stack.kill("player")

    # While it is dead a play is refused (offline, or no answer in time), and refunded.
    assert stack.post(play, token) == 503
    stack.restart("player")
    assert stack.post(play, token) == 200
    wait_for(lambda: len(list(stack.output_dir.glob("*.wav"))) == 2, "the second clip's rendering")
    sweep_as_beat()

    attempts = CreditTransaction.objects.filter(user=user, action=CreditAction.VLC_PLAY_SOUND)
    assert sorted(attempts.values_list("attempt", flat=True)) == [
        AttemptState.PLAYED,
        AttemptState.PLAYED,
        AttemptState.REFUNDED,
    ]
    assert SoundPlayed.objects.filter(user=user).count() == 2
    assert_nothing_lost([user], stack.sounds_root)


def test_a_player_killed_mid_music_comes_back_and_takes_music_commands_again(stack: Stack):
    track = library_sound(stack.sounds_root, "Slow song", 20.0, freq=330)
    add_sound(playlist=main_playlist(), sound_id=track.pk)  # before the player starts: it loads the list then
    stack.start_player()
    stack.start_web()
    user = funded_user()
    token = token_for(user)
    assert stack.post("/api/v1/player/play", token) == 200
    wait_for(lambda: list(stack.output_dir.glob("*Slow_song*.wav")), "the track to be rendered")
    stack.kill("player")

    stack.restart("player")
    assert stack.post("/api/v1/player/stop", token) == 200
    assert stack.post("/api/v1/player/play", token) == 200
    sweep_as_beat()

    debits = CreditTransaction.objects.filter(user=user, action=CreditAction.PLAYER_PLAY)
    assert debits.count() == 2  # one per press that started playback, none for the crash
    assert_nothing_lost([user], stack.sounds_root)
