"""The music player's state machine: pure Python, no database, no libvlc."""

from __future__ import annotations

import json
import random

import pytest

from player.machine import (
    MODES,
    CountPlay,
    Load,
    MusicPlayer,
    Pause,
    PlayerError,
    PlayerState,
    Resume,
    Seek,
    SetVolume,
    Stop,
    Track,
    Warn,
    starts_playback,
)


def make_tracks(count: int, duration_ms: int = 10_000, first_id: int = 1) -> list[Track]:
    return [
        Track(
            sound_id=first_id + i, name=f"Track {first_id + i}", duration_ms=duration_ms, path=f"/m/{first_id + i}.mp3"
        )
        for i in range(count)
    ]


def make_player(count: int = 3, mode: str = "continuous", seed: int = 0, duration_ms: int = 10_000) -> MusicPlayer:
    player = MusicPlayer(rng=random.Random(seed))
    player.load_playlist(1, "Mix", make_tracks(count, duration_ms))
    player.set_mode(mode)
    return player


def loaded(effects) -> list[int]:
    """Sound ids of the tracks the effects load."""
    return [effect.track.sound_id for effect in effects if isinstance(effect, Load)]


def counted(effects) -> list[int]:
    return [effect.sound_id for effect in effects if isinstance(effect, CountPlay)]


def listen(player: MusicPlayer, ms: int, step: int = 500) -> list:
    """Ticks as the runtime would send them while `ms` of the current track plays."""
    effects: list = []
    target = player.state.position_ms + ms
    while player.state.position_ms < target:
        effects += player.tick(min(target, player.state.position_ms + step))
    return effects


# --- play, pause, stop ------------------------------------------------------------------------------------


def test_a_new_player_is_stopped_with_nothing_loaded():
    state = MusicPlayer().state
    assert state.status == "stopped"
    assert state.current_index is None
    assert state.current_sound_id is None
    assert state.length == 0
    assert state.mode == "continuous"


def test_loading_a_playlist_the_first_time_selects_its_first_track_stopped():
    player = MusicPlayer()
    effects = player.load_playlist(7, "Evening", make_tracks(3, duration_ms=4000))
    assert effects == []
    assert player.state.status == "stopped"
    assert (player.state.current_index, player.state.current_sound_id) == (0, 1)
    assert player.state.duration_ms == 4000
    assert (player.state.playlist_id, player.state.playlist_name) == (7, "Evening")


def test_play_from_stopped_loads_the_first_track():
    player = make_player()
    effects = player.play()
    assert loaded(effects) == [1]
    assert player.state.status == "playing"
    assert player.state.position_ms == 0


def test_load_carries_the_volume_and_a_new_playback_number():
    player = make_player()
    player.set_volume(35)
    first = player.play()[0]
    second = player.next()[0]
    assert isinstance(first, Load)
    assert isinstance(second, Load)
    assert first.volume == 35
    assert second.playback == first.playback + 1 == player.playback


def test_play_while_playing_does_nothing():
    player = make_player()
    player.play()
    assert player.play() == []
    assert player.state.status == "playing"


def test_pause_then_play_resumes_without_reloading():
    player = make_player()
    player.play()
    listen(player, 2000)
    assert player.pause() == [Pause()]
    assert player.state.status == "paused"
    assert player.play() == [Resume()]
    assert player.state.status == "playing"
    assert player.state.position_ms == 2000


def test_pause_when_not_playing_does_nothing():
    player = make_player()
    assert player.pause() == []
    player.play()
    player.pause()
    assert player.pause() == []
    assert player.state.status == "paused"


def test_stop_keeps_the_current_track_and_rewinds():
    player = make_player()
    player.play_index(1)
    listen(player, 1500)
    assert player.stop() == [Stop()]
    assert player.state.status == "stopped"
    assert player.state.current_index == 1
    assert player.state.position_ms == 0


def test_stop_when_stopped_does_nothing():
    player = make_player()
    assert player.stop() == []


def test_play_after_stop_replays_the_current_track_from_the_start():
    player = make_player()
    player.play_index(2)
    listen(player, 3000)
    player.stop()
    effects = player.play()
    assert loaded(effects) == [3]
    assert isinstance(effects[0], Load)
    assert effects[0].position_ms == 0


def test_playing_without_a_playlist_is_refused():
    with pytest.raises(PlayerError, match="No playlist is loaded"):
        MusicPlayer().play()


@pytest.mark.parametrize("command", ["play", "next", "previous"])
def test_playing_an_empty_playlist_is_refused(command):
    player = MusicPlayer()
    player.load_playlist(1, "Empty", [])
    with pytest.raises(PlayerError, match="The playlist is empty") as info:
        getattr(player, command)()
    assert info.value.status == 400
    assert player.state.status == "stopped"


def test_play_index_on_an_empty_playlist_is_refused():
    player = MusicPlayer()
    player.load_playlist(1, "Empty", [])
    with pytest.raises(PlayerError, match="The playlist is empty"):
        player.play_index(0)


def test_player_error_carries_a_detail_and_a_status():
    error = PlayerError("Nope.", 409)
    assert (error.detail, error.status, str(error)) == ("Nope.", 409, "Nope.")
    assert PlayerError("Bad.").status == 400


# --- next, previous, play_index ---------------------------------------------------------------------------


def test_next_goes_to_the_following_track():
    player = make_player()
    player.play()
    assert loaded(player.next()) == [2]
    assert player.state.current_index == 1
    assert player.state.status == "playing"


@pytest.mark.parametrize("mode", ["continuous", "loop", "loop_one", "single"])
def test_next_on_the_last_track_wraps_to_the_first(mode):
    player = make_player(mode=mode)
    player.play_index(2)
    assert loaded(player.next()) == [1]
    assert player.state.current_index == 0


def test_next_while_stopped_starts_playing():
    player = make_player()
    assert loaded(player.next()) == [2]
    assert player.state.status == "playing"


def test_next_while_paused_starts_playing_the_following_track():
    player = make_player()
    player.play()
    player.pause()
    assert loaded(player.next()) == [2]
    assert player.state.status == "playing"


def test_next_in_random_mode_picks_another_track():
    player = make_player(count=5, mode="random", seed=3)
    player.play()
    for _ in range(200):
        before = player.state.current_index
        player.next()
        assert player.state.current_index != before


def test_previous_goes_to_the_preceding_track_within_three_seconds():
    player = make_player()
    player.play_index(2)
    listen(player, 2500)
    assert loaded(player.previous()) == [2]
    assert player.state.current_index == 1


def test_previous_at_exactly_three_seconds_goes_back_a_track():
    player = make_player()
    player.play_index(2)
    listen(player, 3000)
    assert loaded(player.previous()) == [2]


def test_previous_restarts_the_current_track_after_three_seconds():
    player = make_player()
    player.play_index(2)
    listen(player, 3500)
    effects = player.previous()
    assert loaded(effects) == [3]
    assert isinstance(effects[0], Load)
    assert effects[0].position_ms == 0
    assert player.state.current_index == 2
    assert player.state.position_ms == 0


def test_previous_on_the_first_track_wraps_to_the_last():
    player = make_player()
    player.play()
    assert loaded(player.previous()) == [3]
    assert player.state.current_index == 2


def test_previous_while_paused_starts_playing():
    player = make_player()
    player.play_index(1)
    player.pause()
    assert loaded(player.previous()) == [1]
    assert player.state.status == "playing"


def test_previous_while_stopped_after_a_seek_restarts_the_track():
    player = make_player()
    player.seek(5000)
    assert loaded(player.previous()) == [1]
    assert player.state.position_ms == 0


def test_next_and_previous_with_a_single_track_replay_it():
    player = make_player(count=1)
    player.play()
    assert loaded(player.next()) == [1]
    assert loaded(player.previous()) == [1]
    assert player.state.current_index == 0


def test_play_index_plays_that_track():
    player = make_player()
    effects = player.play_index(1)
    assert loaded(effects) == [2]
    assert player.state.current_index == 1
    assert player.state.current_sound_id == 2
    assert player.state.status == "playing"


@pytest.mark.parametrize("index", [-1, 3, 99])
def test_play_index_out_of_range_is_refused(index):
    player = make_player()
    with pytest.raises(PlayerError, match="There is no track") as info:
        player.play_index(index)
    assert "0 to 2" in info.value.detail
    assert player.state.status == "stopped"


@pytest.mark.parametrize("index", ["1", 1.0, True, None])
def test_play_index_must_be_a_whole_number(index):
    with pytest.raises(PlayerError, match="whole number"):
        make_player().play_index(index)


# --- seek -------------------------------------------------------------------------------------------------


def test_seek_while_playing_moves_the_position():
    player = make_player()
    player.play()
    assert player.seek(4000) == [Seek(4000)]
    assert player.state.position_ms == 4000
    assert player.state.status == "playing"


def test_seek_while_paused_moves_without_resuming():
    player = make_player()
    player.play()
    player.pause()
    assert player.seek(2500) == [Seek(2500)]
    assert player.state.status == "paused"
    assert player.state.position_ms == 2500


def test_seek_while_stopped_applies_to_the_next_play():
    player = make_player()
    assert player.seek(6000) == []
    effects = player.play()
    assert isinstance(effects[0], Load)
    assert effects[0].position_ms == 6000


def test_seek_with_nothing_loaded_is_refused():
    with pytest.raises(PlayerError, match="No track is loaded"):
        MusicPlayer().seek(0)
    player = MusicPlayer()
    player.load_playlist(1, "Empty", [])
    with pytest.raises(PlayerError, match="No track is loaded"):
        player.seek(0)


@pytest.mark.parametrize("ms", [-1, 10_001, 1_000_000])
def test_seek_past_the_end_or_negative_is_refused(ms):
    player = make_player()
    player.play()
    with pytest.raises(PlayerError, match="between 0 and 10000 ms"):
        player.seek(ms)
    assert player.state.position_ms == 0


def test_seek_to_the_very_start_or_end_is_allowed():
    player = make_player()
    player.play()
    assert player.seek(10_000) == [Seek(10_000)]
    assert player.seek(0) == [Seek(0)]


def test_seek_must_be_a_whole_number():
    player = make_player()
    player.play()
    with pytest.raises(PlayerError, match="whole number"):
        player.seek(1.5)  # type: ignore[arg-type]


# --- volume and mode --------------------------------------------------------------------------------------


def test_set_volume_changes_it():
    player = make_player()
    assert player.set_volume(42) == [SetVolume(42)]
    assert player.state.volume == 42


def test_set_volume_to_the_same_value_emits_nothing():
    player = make_player()
    player.set_volume(42)
    assert player.set_volume(42) == []


@pytest.mark.parametrize("volume", [0, 100])
def test_volume_bounds_are_accepted(volume):
    player = make_player()
    player.set_volume(50)
    assert player.set_volume(volume) == [SetVolume(volume)]


@pytest.mark.parametrize("volume", [-1, 101, 50.5, True, "50", None])
def test_volume_outside_0_to_100_is_refused(volume):
    player = make_player()
    before = player.state.volume
    with pytest.raises(PlayerError, match=r"^Volume must be between 0 and 100\.$"):
        player.set_volume(volume)
    assert player.state.volume == before


def test_volume_change_does_not_interrupt_playback():
    player = make_player()
    player.play()
    player.set_volume(10)
    assert player.state.status == "playing"


@pytest.mark.parametrize("mode", MODES)
def test_set_mode_accepts_every_mode(mode):
    player = make_player()
    assert player.set_mode(mode) == []
    assert player.state.mode == mode


def test_unknown_mode_is_refused():
    player = make_player(mode="loop")
    with pytest.raises(PlayerError, match="Unknown mode “shuffle”") as info:
        player.set_mode("shuffle")
    assert "loop_one" in info.value.detail
    assert player.state.mode == "loop"


def test_changing_mode_does_not_interrupt_playback():
    player = make_player()
    player.play()
    assert player.set_mode("random") == []
    assert player.state.status == "playing"
    assert player.state.current_index == 0


# --- auto-advance per mode --------------------------------------------------------------------------------


def test_continuous_plays_the_next_track_when_one_ends():
    player = make_player(mode="continuous")
    player.play()
    assert loaded(player.track_ended()) == [2]
    assert player.state.status == "playing"


def test_continuous_stops_after_the_last_track_and_goes_back_to_the_first():
    player = make_player(mode="continuous")
    player.play_index(2)
    effects = player.track_ended()
    assert Stop() in effects
    assert loaded(effects) == []
    assert player.state.status == "stopped"
    assert (player.state.current_index, player.state.current_sound_id) == (0, 1)
    assert loaded(player.play()) == [1]


def test_continuous_plays_the_whole_playlist_once():
    player = make_player(count=4, mode="continuous")
    played = loaded(player.play())
    while player.state.status == "playing":
        played += loaded(player.track_ended())
    assert played == [1, 2, 3, 4]


def test_loop_wraps_to_the_first_track():
    player = make_player(mode="loop")
    player.play_index(2)
    assert loaded(player.track_ended()) == [1]
    assert player.state.status == "playing"
    assert player.state.current_index == 0


def test_loop_plays_the_playlist_over_and_over():
    player = make_player(count=2, mode="loop")
    played = loaded(player.play())
    for _ in range(5):
        played += loaded(player.track_ended())
    assert played == [1, 2, 1, 2, 1, 2]


def test_loop_one_repeats_the_same_track():
    player = make_player(mode="loop_one")
    player.play_index(1)
    for _ in range(3):
        assert loaded(player.track_ended()) == [2]
    assert player.state.current_index == 1
    assert player.state.status == "playing"


def test_single_stops_after_the_current_track():
    player = make_player(mode="single")
    player.play_index(1)
    effects = player.track_ended()
    assert Stop() in effects
    assert loaded(effects) == []
    assert player.state.status == "stopped"
    assert player.state.current_index == 1
    assert player.state.position_ms == 0


def test_random_never_repeats_the_track_just_played():
    player = make_player(count=4, mode="random", seed=12345)
    player.play()
    for _ in range(2000):
        before = player.state.current_index
        effects = player.track_ended()
        assert len(loaded(effects)) == 1
        assert player.state.current_index != before
        assert player.state.status == "playing"


def test_random_eventually_plays_every_track():
    player = make_player(count=5, mode="random", seed=7)
    seen = set(loaded(player.play()))
    for _ in range(200):
        seen.update(loaded(player.track_ended()))
    assert seen == {1, 2, 3, 4, 5}


def test_random_with_a_single_track_repeats_it():
    player = make_player(count=1, mode="random")
    player.play()
    for _ in range(5):
        assert loaded(player.track_ended()) == [1]


def test_random_is_deterministic_with_a_seeded_rng():
    def sequence(seed: int) -> list[int]:
        player = make_player(count=6, mode="random", seed=seed)
        played = loaded(player.play())
        for _ in range(30):
            played += loaded(player.track_ended())
        return played

    assert sequence(42) == sequence(42)
    assert sequence(42) != sequence(43)


def test_track_ended_while_stopped_is_ignored():
    player = make_player()
    assert player.track_ended() == []
    assert player.state.status == "stopped"


def test_track_ended_while_paused_stops_on_the_same_track():
    player = make_player()
    player.play_index(1)
    player.pause()
    assert player.track_ended() == [Stop()]
    assert player.state.status == "stopped"
    assert player.state.current_index == 1


def test_a_late_event_from_an_older_playback_is_ignored():
    player = make_player()
    first = player.play()[0]
    assert isinstance(first, Load)
    old = first.playback
    player.next()
    assert player.track_ended(playback=old) == []
    assert player.track_failed(playback=old) == []
    assert player.tick(9000, playback=old) == []
    assert player.state.current_index == 1
    assert player.state.position_ms == 0
    assert loaded(player.track_ended(playback=player.playback)) == [3]


# --- play counting ----------------------------------------------------------------------------------------


def test_a_play_does_not_count_before_twenty_percent():
    player = make_player(duration_ms=10_000)
    player.play()
    assert counted(listen(player, 1999, step=200)) == []


def test_a_play_counts_once_twenty_percent_is_heard():
    player = make_player(duration_ms=10_000)
    player.play()
    listen(player, 1800, step=200)
    assert player.tick(2000) == [CountPlay(1)]


def test_a_play_counts_only_once_per_playback():
    player = make_player(duration_ms=10_000)
    player.play()
    assert counted(listen(player, 9000)) == [1]
    assert counted(player.track_ended()) == []


def test_seeking_back_does_not_count_again():
    player = make_player()
    player.play()
    listen(player, 3000)
    player.seek(0)
    assert counted(listen(player, 5000)) == []


def test_pause_and_resume_does_not_count_again():
    player = make_player()
    player.play()
    listen(player, 2500)
    player.pause()
    player.play()
    assert counted(listen(player, 5000)) == []


def test_time_before_a_pause_and_after_it_adds_up():
    player = make_player(duration_ms=10_000)
    player.play()
    listen(player, 1000)
    player.pause()
    player.play()
    assert counted(listen(player, 1000)) == [1]


def test_seeking_forward_is_not_listening():
    player = make_player(duration_ms=10_000)
    player.play()
    player.seek(8000)
    assert counted(listen(player, 1500)) == []
    assert counted(listen(player, 500)) == [1]


def test_ticks_while_paused_do_not_count():
    player = make_player(duration_ms=10_000)
    player.play()
    player.pause()
    assert player.tick(5000) == []
    assert player.state.position_ms == 5000


def test_a_position_jump_between_ticks_is_not_listening():
    player = make_player(duration_ms=60_000)
    player.play()
    assert player.tick(30_000) == []
    assert counted(listen(player, 11_000)) == []
    assert counted(listen(player, 1000)) == [1]


def test_loop_one_repeat_counts_again():
    player = make_player(mode="loop_one")
    player.play()
    assert counted(listen(player, 3000)) == [1]
    player.track_ended()
    assert counted(listen(player, 3000)) == [1]


def test_play_index_on_the_same_track_counts_again():
    player = make_player()
    player.play_index(0)
    assert counted(listen(player, 3000)) == [1]
    player.play_index(0)
    assert counted(listen(player, 3000)) == [1]


def test_previous_restart_counts_again():
    player = make_player()
    player.play()
    assert counted(listen(player, 4000)) == [1]
    player.previous()
    assert player.state.current_index == 0
    assert counted(listen(player, 2000)) == [1]


def test_play_after_stop_counts_again():
    player = make_player()
    player.play()
    listen(player, 3000)
    player.stop()
    player.play()
    assert counted(listen(player, 3000)) == [1]


def test_a_short_track_that_ends_between_ticks_still_counts():
    player = make_player(mode="loop", duration_ms=400)
    player.play()
    effects = player.track_ended()
    assert effects[0] == CountPlay(1)
    assert loaded(effects) == [2]


def test_a_track_that_ends_right_after_a_seek_near_its_end_does_not_count():
    player = make_player(duration_ms=10_000)
    player.play()
    player.seek(9500)
    assert counted(player.track_ended()) == []


def test_tick_updates_position_and_duration():
    player = make_player(duration_ms=10_000)
    player.play()
    assert player.tick(700, duration_ms=12_345) == []
    assert player.state.position_ms == 700
    assert player.state.duration_ms == 12_345


def test_tick_while_stopped_is_ignored():
    player = make_player()
    assert player.tick(5000) == []
    assert player.state.position_ms == 0


# --- playlist (re)loads -----------------------------------------------------------------------------------


def test_loading_another_playlist_stops_and_takes_its_first_track():
    player = make_player()
    player.play_index(2)
    effects = player.load_playlist(2, "Other", make_tracks(2, first_id=10))
    assert effects == [Stop()]
    assert player.state.status == "stopped"
    assert (player.state.current_index, player.state.current_sound_id) == (0, 10)
    assert (player.state.playlist_id, player.state.playlist_name) == (2, "Other")


def test_loading_another_playlist_while_stopped_emits_nothing():
    player = make_player()
    player.play_index(1)
    player.stop()
    assert player.load_playlist(2, "Other", make_tracks(2, first_id=10)) == []
    assert player.state.current_index == 0


def test_loading_another_playlist_holding_the_same_sound_still_starts_over():
    player = make_player()
    player.play_index(1)
    player.load_playlist(2, "Other", make_tracks(3))
    assert player.state.current_index == 0
    assert player.state.status == "stopped"


def test_reloading_the_same_playlist_follows_the_moved_current_track():
    player = make_player()
    player.play_index(0)
    listen(player, 1000)
    a, b, c = make_tracks(3)
    effects = player.load_playlist(1, "Mix (edited)", [b, c, a])
    assert effects == []
    assert player.state.status == "playing"
    assert (player.state.current_index, player.state.current_sound_id) == (2, 1)
    assert player.state.position_ms == 1000
    assert player.state.playlist_name == "Mix (edited)"
    assert loaded(player.next()) == [2]  # the order of the new playlist, wrapping from its last track


def test_reloading_the_same_playlist_unchanged_keeps_playing_untouched():
    player = make_player()
    player.play_index(1)
    assert player.load_playlist(1, "Mix", make_tracks(3)) == []
    assert player.state.status == "playing"
    assert player.state.current_index == 1


def test_reloading_while_paused_keeps_the_pause():
    player = make_player()
    player.play_index(1)
    player.pause()
    a, b, c = make_tracks(3)
    assert player.load_playlist(1, "Mix", [b, a, c]) == []
    assert player.state.status == "paused"
    assert player.state.current_index == 0


def test_reloading_with_duplicates_prefers_the_occurrence_nearest_the_old_index():
    a, b, c, d = make_tracks(4)
    player = MusicPlayer()
    player.load_playlist(1, "Mix", [a, b, c, b, d])
    player.play_index(3)
    player.load_playlist(1, "Mix", [b, a, c, d, e := Track(9, "E", 1000, "/m/9.mp3"), b])
    assert player.state.current_index == 5
    assert player.state.current_sound_id == 2
    assert e in player.state.tracks


def test_reloading_with_equidistant_duplicates_prefers_the_earlier_one():
    a, b, c, _ = make_tracks(4)
    player = MusicPlayer()
    player.load_playlist(1, "Mix", [a, b, c])
    player.play_index(1)
    player.load_playlist(1, "Mix", [b, a, b, c])
    assert player.state.current_index == 0


def test_reloading_after_the_current_track_was_removed_stops_and_takes_the_first():
    player = make_player()
    player.play_index(1)
    a, _, c = make_tracks(3)
    effects = player.load_playlist(1, "Mix", [c, a])
    assert effects == [Stop()]
    assert player.state.status == "stopped"
    assert (player.state.current_index, player.state.current_sound_id) == (0, 3)
    assert player.state.position_ms == 0


def test_loading_an_empty_playlist_clears_the_state():
    player = make_player()
    player.play_index(1)
    listen(player, 1000)
    effects = player.load_playlist(1, "Mix", [])
    assert effects == [Stop()]
    state = player.state
    assert state.status == "stopped"
    assert state.current_index is None
    assert state.current_sound_id is None
    assert (state.position_ms, state.duration_ms, state.length, state.total_duration_ms) == (0, 0, 0, 0)


def test_reloading_after_emptying_then_refilling_takes_the_first_track():
    player = make_player()
    player.load_playlist(1, "Mix", [])
    assert player.load_playlist(1, "Mix", make_tracks(2, first_id=5)) == []
    assert (player.state.current_index, player.state.current_sound_id) == (0, 5)


def test_playlist_metadata_length_and_total_duration():
    player = MusicPlayer()
    player.load_playlist(3, "Short", [Track(1, "A", 1500, "/a"), Track(2, "B", 2500, "/b")])
    assert player.state.length == 2
    assert player.state.total_duration_ms == 4000
    assert player.state.current_track == Track(1, "A", 1500, "/a")


# --- failed tracks ----------------------------------------------------------------------------------------


def test_a_failed_track_is_skipped_with_a_warning():
    player = make_player(mode="continuous")
    player.play()
    effects = player.track_failed()
    assert isinstance(effects[0], Warn)
    assert "Track 1" in effects[0].message
    assert loaded(effects) == [2]
    assert player.state.status == "playing"


def test_a_failed_last_track_in_continuous_mode_stops():
    player = make_player(mode="continuous")
    player.play_index(2)
    effects = player.track_failed()
    assert isinstance(effects[0], Warn)
    assert Stop() in effects
    assert player.state.status == "stopped"
    assert player.state.current_index == 0


def test_a_failed_track_in_single_mode_stops():
    player = make_player(mode="single")
    player.play_index(1)
    effects = player.track_failed()
    assert isinstance(effects[0], Warn)
    assert effects[1:] == [Stop()]
    assert player.state.status == "stopped"


def test_a_failed_track_in_loop_one_mode_moves_on_instead_of_repeating():
    player = make_player(mode="loop_one")
    player.play_index(2)
    assert loaded(player.track_failed()) == [1]


def test_a_failed_track_in_random_mode_moves_to_another_track():
    player = make_player(count=4, mode="random", seed=1)
    player.play_index(2)
    effects = player.track_failed()
    assert len(loaded(effects)) == 1
    assert player.state.current_index != 2


@pytest.mark.parametrize("mode", ["loop", "loop_one", "random"])
def test_when_every_track_fails_the_player_stops(mode):
    player = make_player(count=5, mode=mode, seed=99)
    player.play_index(3)
    warnings = 0
    for _ in range(50):  # bounded: a player stuck on broken files would fail the assertion below
        effects = player.track_failed()
        warnings += sum(isinstance(effect, Warn) for effect in effects)
        if player.state.status == "stopped":
            break
    assert player.state.status == "stopped"
    assert effects[-1] == Warn("None of the playlist's tracks could be played, so the player stopped.")
    assert Stop() in effects
    assert warnings == 6  # one per track, and the final one


def test_a_single_failing_track_in_loop_mode_stops():
    player = make_player(count=1, mode="loop")
    player.play()
    effects = player.track_failed()
    assert Stop() in effects
    assert player.state.status == "stopped"


def test_a_track_that_plays_resets_the_failure_streak():
    player = make_player(count=3, mode="loop")
    player.play()
    player.track_failed()  # track 1 fails
    listen(player, 500)  # track 2 plays...
    player.track_failed()  # ...until it breaks
    player.track_failed()  # track 3 fails: not all three in a row, track 2 did play
    assert player.state.status == "playing"
    assert player.state.current_index == 0


def test_a_user_command_resets_the_failure_streak():
    player = make_player(count=2, mode="loop")
    player.play()
    player.track_failed()
    player.play_index(0)
    player.track_failed()
    assert player.state.status == "playing"
    assert player.state.current_index == 1


def test_a_failed_track_while_stopped_is_ignored():
    player = make_player()
    assert player.track_failed() == []


# --- persistence ------------------------------------------------------------------------------------------


def test_state_round_trips_through_a_dict():
    player = make_player(count=4, mode="random")
    player.set_volume(33)
    player.play_index(2)
    listen(player, 1200)
    data = json.loads(json.dumps(player.state.to_dict()))
    assert PlayerState.from_dict(data) == player.state
    assert data["length"] == 4
    assert data["total_duration_ms"] == 40_000


def test_an_empty_state_round_trips_through_a_dict():
    state = PlayerState()
    assert PlayerState.from_dict(state.to_dict()) == state


def test_to_dict_can_leave_out_file_paths():
    data = make_player().state.to_dict(include_paths=False)
    assert "path" not in data["tracks"][0]
    assert data["tracks"][0] == {"sound_id": 1, "name": "Track 1", "duration_ms": 10_000}


def test_restore_keeps_mode_volume_playlist_and_index_but_stops():
    player = make_player(mode="loop_one")
    player.set_volume(12)
    player.play_index(1)
    listen(player, 4000)
    restored = MusicPlayer.restore(json.loads(json.dumps(player.state.to_dict())))
    state = restored.state
    assert (state.mode, state.volume, state.playlist_id, state.current_index) == ("loop_one", 12, 1, 1)
    assert state.status == "stopped"
    assert state.position_ms == 0
    assert loaded(restored.play()) == [2]


def test_restore_then_reload_follows_the_current_track():
    player = make_player()
    player.play_index(2)
    restored = MusicPlayer.restore(player.state.to_dict())
    a, b, c = make_tracks(3)
    assert restored.load_playlist(1, "Mix", [c, a, b]) == []
    assert restored.state.current_index == 0


def test_from_dict_repairs_a_damaged_snapshot():
    state = PlayerState.from_dict(
        {
            "status": "dancing",
            "mode": "shuffle",
            "volume": 250,
            "playlist_id": "7",
            "current_index": 9,
            "tracks": [{"sound_id": 4, "name": "Ok", "duration_ms": 1000, "path": "/ok"}, {"name": "no id"}],
        }
    )
    assert (state.status, state.mode, state.volume, state.playlist_id) == ("stopped", "continuous", 100, None)
    assert state.tracks == [Track(4, "Ok", 1000, "/ok")]
    assert (state.current_index, state.current_sound_id) == (0, 4)


def test_from_dict_of_nothing_is_a_fresh_state():
    assert PlayerState.from_dict({}) == PlayerState()


# --- which commands start a playback ----------------------------------------------------------------------


def test_play_starts_playback_only_from_stopped():
    player = make_player()
    assert starts_playback("play", player.state)
    player.play()
    assert not starts_playback("play", player.state)
    player.pause()
    assert not starts_playback("play", player.state)


@pytest.mark.parametrize("command", ["play_index", "next", "previous"])
@pytest.mark.parametrize("status", ["playing", "paused", "stopped"])
def test_next_previous_and_play_index_always_start_playback(command, status):
    state = make_player().state
    state.status = status
    assert starts_playback(command, state)


@pytest.mark.parametrize("command", ["pause", "stop", "seek", "set_volume", "set_mode", "load_playlist"])
def test_free_commands_never_start_playback(command):
    player = make_player()
    assert not starts_playback(command, player.state)
    player.play()
    assert not starts_playback(command, player.state)


def test_nothing_starts_playback_on_an_empty_playlist():
    player = MusicPlayer()
    player.load_playlist(1, "Empty", [])
    assert not any(starts_playback(command, player.state) for command in ("play", "next", "previous", "play_index"))


def test_starts_playback_rejects_unknown_commands():
    with pytest.raises(ValueError, match="track_ended"):
        starts_playback("track_ended", PlayerState())


# --- commands by name -------------------------------------------------------------------------------------


def test_apply_runs_a_command_by_name():
    player = make_player()
    assert loaded(player.apply("play_index", index=1)) == [2]
    assert player.apply("seek", ms=1500) == [Seek(1500)]
    assert player.apply("set_volume", volume=5) == [SetVolume(5)]
    assert player.apply("pause") == [Pause()]


def test_apply_refuses_unknown_commands_and_bad_parameters():
    player = make_player()
    with pytest.raises(PlayerError, match="Unknown player command"):
        player.apply("tick", position_ms=5)
    with pytest.raises(PlayerError, match="Wrong parameters"):
        player.apply("seek", position=5)
    with pytest.raises(PlayerError, match="Wrong parameters"):
        player.apply("play", index=1)
