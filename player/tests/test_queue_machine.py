"""The up-next queue in the state machine: queued tracks play ahead of the playlist's next track."""

from __future__ import annotations

import random

from player.machine import Load, MusicPlayer, Stop, Track, Warn, starts_playback
from player.protocol import PublishedState
from player.tests.test_machine import loaded, make_player


def queued(*sound_ids: int) -> list[Track]:
    return [
        Track(sound_id=s, name=f"Queued {s}", duration_ms=5000, path=f"/q/{s}.mp3", item_id=100 + s) for s in sound_ids
    ]


def test_a_queued_track_plays_after_the_current_one_then_the_playlist_goes_on():
    player = make_player(3)
    assert loaded(player.play()) == [1]
    player.set_queue(queued(50, 51))
    effects = player.track_ended()
    assert loaded(effects) == [50]
    assert next(e for e in effects if isinstance(e, Load)).track.item_id == 150
    assert player.state.queued is not None
    assert player.state.current_index == 0
    assert loaded(player.track_ended()) == [51]
    assert loaded(player.track_ended()) == [2]  # the playlist's next track, as if the queue had not been there
    assert player.state.queued is None
    assert player.state.current_index == 1


def test_next_takes_the_queue_first():
    player = make_player(3)
    player.play()
    player.set_queue(queued(50))
    assert loaded(player.next()) == [50]
    assert loaded(player.next()) == [2]


def test_play_from_stopped_starts_the_queue_and_then_the_playlists_current_track():
    player = make_player(3)
    player.set_queue(queued(50))
    assert starts_playback("play", player.state)
    assert loaded(player.play()) == [50]
    assert loaded(player.track_ended()) == [1]


def test_a_queue_with_an_empty_playlist_plays_and_then_stops():
    player = MusicPlayer(rng=random.Random(0))
    player.load_playlist(1, "Empty", [])
    player.set_queue(queued(50))
    assert loaded(player.play()) == [50]
    effects = player.track_ended()
    assert Stop() in effects
    assert player.state.status == "stopped"
    assert player.state.current_track is None


def test_continuous_after_the_last_track_plays_the_queue_then_stops_on_the_first_track():
    player = make_player(2)
    player.play_index(1)
    player.set_queue(queued(50))
    assert loaded(player.track_ended()) == [50]
    effects = player.track_ended()
    assert Stop() in effects
    assert player.state.current_index == 0


def test_single_mode_stops_and_keeps_the_queue_for_later():
    player = make_player(3, mode="single")
    player.play()
    player.set_queue(queued(50))
    player.track_ended()
    assert player.state.status == "stopped"
    assert len(player.state.queue) == 1


def test_a_queued_track_that_fails_is_skipped_without_blaming_the_playlist():
    player = make_player(3)
    player.play()
    player.set_queue(queued(50, 51))
    player.track_ended()
    effects = player.track_failed()
    assert any(isinstance(e, Warn) for e in effects)
    assert loaded(effects) == [51]


def test_stop_on_a_queued_track_goes_back_to_the_playlists_track():
    player = make_player(3)
    player.play()
    player.set_queue(queued(50))
    player.next()
    player.stop()
    assert player.state.queued is None
    assert player.state.current_sound_id == 1


def test_an_edit_of_the_playlist_does_not_interrupt_a_queued_track():
    player = make_player(3)
    player.play_index(1)
    player.set_queue(queued(50))
    player.next()
    tracks = list(player.state.tracks)
    assert player.load_playlist(1, "Mix", [tracks[1], tracks[2]]) == []
    assert player.state.queued is not None
    assert player.state.current_index == 0


def test_the_published_state_names_what_is_up_next():
    player = make_player(3)
    player.play()
    player.set_queue(queued(50, 51))
    state = PublishedState.model_validate(player.state.public_dict())
    assert state.queue_length == 2
    assert state.up_next is not None
    assert state.up_next.sound_id == 50
    version = state.queue_version
    player.next()
    state = PublishedState.model_validate(player.state.public_dict())
    assert state.from_queue
    assert state.current_index is None
    assert state.current_track is not None
    assert state.current_track.sound_id == 50
    assert state.queue_length == 1
    assert state.queue_version > version
