"""The seed's sound API in full: the whole list, one sound, PATCH and DELETE for the uploader and staff."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from live.tests.sockets import connect, receive_until
from sounds.models import JobState, Sound
from sounds.scanner import scan
from sounds.services import normalize_sound
from sounds.tests import media
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


def bearer(user) -> Client:
    _, raw = ApiToken.issue(user=user, name="script")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def uploader():
    return UserFactory.create()


@pytest.fixture
def own_sound(uploader):
    return SoundFactory.create(name="Airhorn", uploaded_by=uploader)


# --- The whole list -----------------------------------------------------------------------------------------
def test_the_list_without_paging_parameters_holds_every_sound(authed_client):
    SoundFactory.create_batch(120)
    body = authed_client.get("/api/v1/sounds/").json()
    assert len(body["items"]) == 120
    assert body["total"] == 120
    assert body["pages"] == 1
    assert body["page_size"] == 120


def test_an_empty_library_lists_as_an_empty_single_page(authed_client):
    body = authed_client.get("/api/v1/sounds/").json()
    assert body == {"items": [], "total": 0, "page": 1, "pages": 1, "page_size": 0}


def test_paging_is_still_there_when_asked_for(authed_client):
    SoundFactory.create_batch(120)
    first = authed_client.get("/api/v1/sounds/?page=1").json()
    assert (len(first["items"]), first["page_size"], first["pages"]) == (50, 50, 3)
    last = authed_client.get("/api/v1/sounds/?page=3").json()
    assert len(last["items"]) == 20
    sized = authed_client.get("/api/v1/sounds/?page_size=7").json()
    assert (len(sized["items"]), sized["page"], sized["pages"]) == (7, 1, 18)
    assert authed_client.get("/api/v1/sounds/?page=99").json()["items"] == []


def test_the_whole_list_costs_the_same_queries_for_3_or_300_sounds(user):
    client = bearer(user)
    SoundFactory.create_batch(3)
    client.get("/api/v1/sounds/")  # the token's first use is recorded once, not on every request
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/sounds/").json()["items"]) == 3
    SoundFactory.create_batch(297)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/sounds/").json()["items"]) == 300
    assert len(many.captured_queries) == len(few.captured_queries)
    listing = [q["sql"] for q in many.captured_queries if 'FROM "sounds_sound"' in q["sql"]]
    assert len(listing) == 1, listing


@pytest.mark.parametrize(
    "query",
    ["?page_size=100000", "?page_size=0", "?page_size=-5", "?page=-1", "?page=0", "?page=99999999999999999999"],
)
def test_hostile_paging_is_a_400_that_says_why(authed_client, query):
    response = authed_client.get("/api/v1/sounds/" + query)
    assert response.status_code == 400
    assert "page" in response.json()["detail"]


# --- One sound ----------------------------------------------------------------------------------------------
def test_one_sound_reads_like_a_list_item(authed_client, own_sound):
    body = authed_client.get(f"/api/v1/sounds/{own_sound.pk}").json()
    assert body["name"] == "Airhorn"
    assert body == authed_client.get("/api/v1/sounds/").json()["items"][0]


def test_a_failed_sound_of_someone_else_is_not_found(authed_client, own_sound):
    own_sound.normalization_status = JobState.FAILED
    own_sound.save()
    assert authed_client.get(f"/api/v1/sounds/{own_sound.pk}").status_code == 404
    assert authed_client.patch(f"/api/v1/sounds/{own_sound.pk}", {"name": "x"}, "application/json").status_code == 404


# --- PATCH --------------------------------------------------------------------------------------------------
def test_the_uploader_renames_their_sound_with_a_token(uploader, own_sound):
    response = bearer(uploader).patch(f"/api/v1/sounds/{own_sound.pk}", {"name": "  Big   horn "}, "application/json")
    assert response.status_code == 200
    assert response.json()["name"] == "Big horn"
    own_sound.refresh_from_db()
    assert own_sound.name == "Big horn"
    assert list(Sound.objects.search("big")) == [own_sound]


def test_staff_rename_anyones_sound(staff, own_sound):
    response = bearer(staff).patch(f"/api/v1/sounds/{own_sound.pk}", {"name": "Renamed"}, "application/json")
    assert response.status_code == 200
    own_sound.refresh_from_db()
    assert own_sound.name == "Renamed"


def test_someone_elses_sound_is_403_and_unchanged(user, own_sound):
    response = bearer(user).patch(f"/api/v1/sounds/{own_sound.pk}", {"name": "Mine now"}, "application/json")
    assert response.status_code == 403
    assert "added this sound" in response.json()["detail"]
    own_sound.refresh_from_db()
    assert own_sound.name == "Airhorn"


def test_a_scanned_sound_with_no_uploader_is_for_staff_only(user):
    scanned = SoundFactory.create(uploaded_by=None)
    assert bearer(user).patch(f"/api/v1/sounds/{scanned.pk}", {"name": "x"}, "application/json").status_code == 403
    assert bearer(user).delete(f"/api/v1/sounds/{scanned.pk}").status_code == 403


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"name": ""}, "cannot be empty"),
        ({"name": "   \t  "}, "cannot be empty"),
        ({"name": "x" * 256}, "at most 255"),
        ({"name": None}, "null"),
        ({"name": 42}, "string"),
        ({"name": ["a"]}, "string"),
    ],
)
def test_a_bad_name_is_a_400_that_says_why_and_changes_nothing(uploader, own_sound, body, says):
    response = bearer(uploader).patch(f"/api/v1/sounds/{own_sound.pk}", body, "application/json")
    assert response.status_code == 400
    assert says in response.json()["detail"]
    own_sound.refresh_from_db()
    assert own_sound.name == "Airhorn"


def test_a_body_that_is_not_json_is_a_400(uploader, own_sound):
    response = bearer(uploader).patch(f"/api/v1/sounds/{own_sound.pk}", "{name: oops", "application/json")
    assert response.status_code == 400


def test_an_empty_patch_changes_nothing(uploader, own_sound):
    response = bearer(uploader).patch(f"/api/v1/sounds/{own_sound.pk}", {}, "application/json")
    assert response.status_code == 200
    assert response.json()["name"] == "Airhorn"


@pytest.mark.parametrize("sound_id", ["424242", "99999999999999999999", "-1", "abc"])
def test_ids_that_do_not_exist_are_a_json_404(staff, sound_id):
    client = bearer(staff)
    for response in (
        client.get(f"/api/v1/sounds/{sound_id}"),
        client.patch(f"/api/v1/sounds/{sound_id}", {"name": "x"}, "application/json"),
        client.delete(f"/api/v1/sounds/{sound_id}"),
    ):
        assert response.status_code == 404
        assert response.json()["detail"]


def test_the_session_needs_its_csrf_token_to_patch(uploader, own_sound):
    client = Client(enforce_csrf_checks=True)
    client.force_login(uploader)
    response = client.patch(f"/api/v1/sounds/{own_sound.pk}", {"name": "x"}, "application/json")
    assert response.status_code == 403
    own_sound.refresh_from_db()
    assert own_sound.name == "Airhorn"


def test_anonymous_edits_are_401(own_sound):
    assert Client().patch(f"/api/v1/sounds/{own_sound.pk}", {"name": "x"}, "application/json").status_code == 401
    assert Client().delete(f"/api/v1/sounds/{own_sound.pk}").status_code == 401
    assert Sound.objects.filter(pk=own_sound.pk, name="Airhorn").exists()


def test_edits_are_rate_limited(uploader, own_sound, settings):
    settings.SOUND_EDIT_RATE_LIMIT = "2/m"
    client = bearer(uploader)
    for name in ("One", "Two"):
        assert client.patch(f"/api/v1/sounds/{own_sound.pk}", {"name": name}, "application/json").status_code == 200
    refused = client.patch(f"/api/v1/sounds/{own_sound.pk}", {"name": "Three"}, "application/json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert client.delete(f"/api/v1/sounds/{own_sound.pk}").status_code == 429
    own_sound.refresh_from_db()
    assert own_sound.name == "Two"


# --- DELETE -------------------------------------------------------------------------------------------------
@pytest.fixture
def real_own_sound(sdb, uploader):
    media.tone(sdb / "horn.wav", 1.0)
    scan()
    sound = Sound.objects.get()
    normalize_sound(sound=sound)
    sound.refresh_from_db()
    sound.uploaded_by = uploader
    sound.save()
    return sound


def test_the_uploader_deletes_their_sound_and_its_files(uploader, real_own_sound, django_capture_on_commit_callbacks):
    original, normalized = real_own_sound.original_path, real_own_sound.normalized_path
    assert normalized is not None
    assert original.is_file()
    assert normalized.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        response = bearer(uploader).delete(f"/api/v1/sounds/{real_own_sound.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Sound.objects.exists()
    assert not original.exists()
    assert not normalized.exists()
    assert bearer(uploader).delete(f"/api/v1/sounds/{real_own_sound.pk}").status_code == 404


def test_someone_else_cannot_delete_and_nothing_is_removed(user, real_own_sound, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = bearer(user).delete(f"/api/v1/sounds/{real_own_sound.pk}")
    assert response.status_code == 403
    assert Sound.objects.filter(pk=real_own_sound.pk).exists()
    assert real_own_sound.original_path.is_file()


def test_staff_delete_anyones_sound(staff, own_sound):
    assert bearer(staff).delete(f"/api/v1/sounds/{own_sound.pk}").status_code == 204
    assert not Sound.objects.filter(pk=own_sound.pk).exists()


@pytest.mark.django_db(transaction=True)
async def test_open_boards_hear_of_a_deletion(uploader, own_sound):
    watcher = await sync_to_async(UserFactory.create)()
    ws, connected = await connect(watcher)
    assert connected
    response = await sync_to_async(lambda: bearer(uploader).delete(f"/api/v1/sounds/{own_sound.pk}"))()
    assert response.status_code == 204
    await receive_until(ws, 'data-trigger="library:refresh"', timeout=10)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_open_boards_hear_of_a_rename(uploader, own_sound):
    watcher = await sync_to_async(UserFactory.create)()
    ws, connected = await connect(watcher)
    assert connected
    client = await sync_to_async(bearer)(uploader)
    response = await sync_to_async(client.patch)(f"/api/v1/sounds/{own_sound.pk}", {"name": "New"}, "application/json")
    assert response.status_code == 200
    await receive_until(ws, 'data-trigger="library:refresh"', timeout=10)
    await ws.disconnect()


# --- The schema at the seed's address ------------------------------------------------------------------------
def test_the_schema_is_public_at_both_addresses_and_documents_the_new_operations():
    ours = Client().get("/api/v1/openapi.json")
    seed = Client().get("/api/openapi.json")
    assert ours.status_code == seed.status_code == 200
    assert ours.json() == seed.json()
    item = seed.json()["paths"]["/api/v1/sounds/{sound_id}"]
    assert {"get", "patch", "delete"} <= set(item)
    assert "every matching sound" in seed.json()["paths"]["/api/v1/sounds/"]["get"]["description"]
