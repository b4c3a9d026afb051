from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from credits.models import CreditAction, CreditTransaction
from credits.services import InsufficientCredits
from live.tests.sockets import connect, receive_until
from sounds import speech, tts
from sounds.models import Sound
from sounds.tests import media
from sounds.tests.factories import SoundFactory


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Type something"),
        ("   \n\t ", "Type something"),
        ("x" * 501, "At most 500"),
        ("\x00\x07", "Type something"),
    ],
)
def test_bad_text_is_refused(text, reason):
    with pytest.raises(tts.TtsError, match=reason):
        tts.clean_text(text)


def test_control_characters_become_spaces():
    assert tts.clean_text("hello\x07\nworld\u2028again") == "hello world again"


def test_the_voices_are_espeak_ngs_and_unknown_ones_are_refused():
    codes = {v.code for v in tts.voices()}
    assert {"en-us", "fr-fr", "de"} <= codes
    with pytest.raises(tts.TtsError, match="Unknown voice"):
        tts.check_voice("klingon")
    with pytest.raises(tts.TtsError, match="between 80 and 450"):
        tts.check_speed(9000)


@pytest.mark.django_db
def test_a_request_charges_two_credits_and_queues_the_work(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = speech.request_tts(user=user, text="Hello <b>team</b>", voice="en-us", speed=160)
    assert (job.text, job.status, job.user_id) == ("Hello <b>team</b>", "pending", user.pk)
    assert len(callbacks) == 2  # the balance's live update, and the synthesis task
    user.refresh_from_db()
    assert user.credits == 23
    assert CreditTransaction.objects.get(user=user, action=CreditAction.TEXT_TO_SPEECH).amount == -2


@pytest.mark.django_db
def test_the_same_line_and_voice_twice_is_a_409_naming_the_sound(user):
    key = tts.key_for("Hello", "en-us", 160)
    SoundFactory.create(type="TTS", name="Hello", filename=f"hello-{key}.wav")
    with pytest.raises(tts.TtsError, match="already exists as “Hello”") as info:
        speech.request_tts(user=user, text="  Hello ", voice="en-us", speed=160)
    assert info.value.status == 409
    user.refresh_from_db()
    assert user.credits == 25  # nothing charged
    # Another voice is another sound.
    speech.request_tts(user=user, text="Hello", voice="fr-fr", speed=160)


@pytest.mark.django_db
def test_no_credits_is_402(user):
    User.objects.filter(pk=user.pk).update(credits=1)
    with pytest.raises(InsufficientCredits) as info:
        speech.request_tts(user=user, text="Hi", voice="en-us", speed=160)
    assert info.value.status == 402


@pytest.mark.django_db
def test_a_tts_sound_is_spoken_stored_and_normalized(user, sounds_root):
    sound = speech.create_tts_sound(user_id=user.pk, text="Lunch is served in the kitchen", voice="en-gb", speed=170)
    assert sound.type == "TTS"
    assert sound.name == "Lunch is served in the kitchen"
    assert (sounds_root / "originals" / "text_to_speech" / sound.filename).is_file()
    sound.refresh_from_db()
    assert sound.is_normalized
    assert sound.normalized_path is not None
    assert media.mean_volume(sound.normalized_path) > -45  # speech, not silence


@pytest.mark.django_db
def test_the_form_and_api_explain_refusals(authed_client, user):
    assert authed_client.get("/sounds/tts/", HTTP_HX_REQUEST="true").status_code == 200
    bad = authed_client.post("/sounds/tts/", {"text": "hi", "voice": "nope", "speed": 160}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    api = authed_client.post("/api/v1/sounds/tts", {"text": " ", "voice": "en-us"}, content_type="application/json")
    assert api.status_code == 400
    assert api.json()["detail"] == "Type something to say."
    assert (
        authed_client.post(
            "/api/v1/sounds/tts", {"text": "ok", "voice": "xx"}, content_type="application/json"
        ).status_code
        == 400
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_tts_end_to_end_through_a_real_worker(worker_sounds_root):

    user = await sync_to_async(UserFactory.create)()
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)
    response = await sync_to_async(client.post)(
        "/api/v1/sounds/tts", {"text": "Meeting in five minutes", "voice": "en-us"}, content_type="application/json"
    )
    assert response.status_code == 202
    await receive_until(ws, "is ready on the board", timeout=60)
    sound = await Sound.objects.aget(type="TTS")
    assert sound.is_normalized
    assert (worker_sounds_root / "normalized" / "text_to_speech" / sound.normalized_filename).is_file()
    await ws.disconnect()


@pytest.mark.django_db
def test_the_page_and_the_api_share_one_length_limit_which_the_page_shows(authed_client, user):
    page = authed_client.get("/sounds/tts/").content.decode()
    assert f'maxlength="{tts.MAX_CHARS}"' in page
    assert f"Up to {tts.MAX_CHARS} characters." in page
    too_long = "x" * (tts.MAX_CHARS + 1)
    before = CreditTransaction.objects.count()
    form = authed_client.post("/sounds/tts/", {"text": too_long, "voice": "en-us", "speed": 160})
    assert form.status_code == 400
    api = authed_client.post("/api/v1/sounds/tts", {"text": too_long}, content_type="application/json")
    assert api.status_code == 400
    assert CreditTransaction.objects.count() == before  # neither charged anything
