from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from core.errors import UserError
from sounds import browse, faces
from sounds import tags as tagging
from sounds.models import MAX_COOLDOWN_S, MAX_VOLUME, Sort, Sound, SoundType
from sounds.models import clean_name as one_line
from sounds.piper import ENGINE as PIPER
from sounds.tags import MAX_TAG_LENGTH, MAX_TAGS_PER_SOUND, NO_TAG, clean_tag
from sounds.tts import DEFAULT_SPEED, DEFAULT_VOICE, MAX_CHARS, SPEEDS, voices
from sounds.uploads import duration_words


class TagsField(forms.Field):
    """Repeated `tags=` in a query string: each cleaned as a tag name. One that can't be a tag matches nothing
    (like an unknown type) instead of failing the whole filter."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        raw = [str(v) for v in (value or [])]
        if len(raw) > MAX_TAGS_PER_SOUND:
            raise forms.ValidationError(f"Filter by at most {MAX_TAGS_PER_SOUND} tags.")
        names: list[str] = []
        for item in raw:
            try:
                names.append(clean_tag(item))
            except UserError:
                names.append(NO_TAG)
        return list(dict.fromkeys(names))


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    types = forms.MultipleChoiceField(
        required=False, choices=SoundType.choices, widget=forms.CheckboxSelectMultiple, label="Types"
    )
    tags = TagsField(required=False)
    favorites = forms.BooleanField(required=False, label="Favourites")
    sort = forms.ChoiceField(required=False, choices=Sort.choices, label="Sort by")
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)
    # Asked by the infinite-scroll sentinel: the next cards only, not the whole result block.
    more = forms.BooleanField(required=False)

    def values(self) -> dict[str, Any]:
        """The filters to apply; invalid parts fall back to their defaults instead of failing the page."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": (data.get("q") or "").strip(),
            "types": data.get("types") or [],
            "tags": data.get("tags") or [],
            "favorites": bool(data.get("favorites")),
            "sort": data.get("sort") or Sort.NAME,
            "page": data.get("page") or 1,
            # Not a filter: the sentinel's flag holds even when a filter in its URL is bad.
            "more": bool(self.cleaned_data.get("more")),
        }

    def board_filters(self) -> browse.Filters:
        f = self.values()
        return browse.Filters(q=f["q"], types=tuple(f["types"]), tags=tuple(f["tags"]), favorites=f["favorites"])


class MenuForm(forms.Form):
    """Which of a sound's menus a card asks for; none: the page with both."""

    part = forms.ChoiceField(required=False, choices=[("queue", "queue"), ("manage", "manage")])

    def wanted(self) -> str:
        if not self.is_valid():
            raise UserError("No such menu: ask for part=queue or part=manage.", 400)
        return str(self.cleaned_data["part"])


class NormalizeAllForm(forms.Form):
    """Staff's "normalize everything": `force=1` redoes sounds already normalized too."""

    force = forms.CharField(required=False, max_length=10)

    def forced(self) -> bool:
        return self.is_valid() and self.cleaned_data["force"] == "1"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "audio/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        """The files given; at least one. Each file is judged on its own by the upload (empty, too long, not
        audio…), so one bad file gets its own answer and the good ones in the same batch still go in: judging
        them here (FileField refuses an empty file) made one empty file refuse the whole batch unnamed."""
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            return [super().clean(None, initial)]  # raises "required"
        return list(files)


class UploadForm(forms.Form):
    audio = MultipleFileField(
        label="Audio files",
        help_text=(
            f"MP3, WAV, FLAC, OGG, M4A… up to {settings.SOUNDS_MAX_UPLOAD_MB} MB and "
            f"{duration_words(settings.SOUNDS_MAX_DURATION_S)} each."
        ),
    )


class RenameForm(forms.Form):
    name = forms.CharField(
        max_length=255,
        error_messages={
            "required": "Give the sound a name: it can't be blank.",
            "max_length": "That name is too long: use at most 255 characters.",
        },
    )

    def refusal(self) -> str:
        """The first reason the name was refused, as the toast says it."""
        return next((str(e) for errors in self.errors.values() for e in errors), "That name can't be used.")


class TtsForm(forms.Form):
    # The limits are sounds.tts's, which the API's schema and the service use too.
    text = forms.CharField(
        max_length=MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What should it say?",
        help_text=f"Up to {MAX_CHARS} characters.",
    )
    voice = forms.ChoiceField(choices=[], initial=DEFAULT_VOICE)
    speed = forms.IntegerField(
        min_value=SPEEDS[0],
        max_value=SPEEDS[1],
        initial=DEFAULT_SPEED,
        help_text=f"Words per minute, {SPEEDS[0]} to {SPEEDS[1]}.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:

        super().__init__(*args, **kwargs)
        field = self.fields["voice"]
        assert isinstance(field, forms.ChoiceField)
        natural = [(v.code, v.label) for v in voices() if v.engine == PIPER]
        synthetic = [(v.code, v.label) for v in voices() if v.engine != PIPER]
        # Grouped, so the few natural voices are not lost among espeak-ng's hundred languages.
        grouped = [("Natural voices", natural), ("Synthetic voices, many languages", synthetic)]
        field.choices = grouped if natural else synthetic
        if natural:
            field.help_text = "Natural voices sound human; the others speak many languages."


class FavoriteForm(forms.Form):
    """The card's star: `on=1` stars the sound, anything else unstars it."""

    on = forms.BooleanField(required=False)


def _judged(check: Callable[[str], Any], value: str) -> Any:
    # The rules live with the model (sounds.tags, sounds.faces), which the API shares: their refusals become
    # the field's error here.
    try:
        return check(value)
    except UserError as exc:
        raise forms.ValidationError(exc.detail) from exc


class SoundDetailsForm(forms.Form):
    """What the uploader or staff may change on a sound from the board (the API's PATCH takes the same)."""

    name = forms.CharField(max_length=255, label="Name")
    tags = forms.CharField(
        required=False,
        max_length=MAX_TAGS_PER_SOUND * (MAX_TAG_LENGTH + 2),
        label="Tags",
        help_text=f"Separated by commas, up to {MAX_TAGS_PER_SOUND}: people filter the board by them.",
    )
    volume = forms.IntegerField(
        min_value=0,
        max_value=MAX_VOLUME,
        label="Volume (%)",
        help_text=f"How loud the room hears it: 100 is the usual level, 50 half as loud, up to {MAX_VOLUME}.",
    )
    cooldown_s = forms.IntegerField(
        min_value=0,
        max_value=MAX_COOLDOWN_S,
        label="Cooldown (seconds)",
        help_text="After each play nobody can play it again for this long. 0: no wait.",
    )
    emoji = forms.CharField(required=False, max_length=64, label="Emoji", help_text="One emoji on its card, or none.")
    color = forms.CharField(
        required=False,
        max_length=7,
        label="Colour",
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="A colour stripe on its card.",
    )
    no_color = forms.BooleanField(required=False, label="No colour")

    def clean_name(self) -> str:
        name = one_line(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Give the sound a name.")
        return name

    def clean_tags(self) -> list[str]:
        return list(_judged(lambda text: tagging.clean_tags(tagging.split_tags(text)), self.cleaned_data["tags"]))

    def clean_emoji(self) -> str:
        return str(_judged(faces.clean_emoji, self.cleaned_data["emoji"]))

    def clean_color(self) -> str:
        return str(_judged(faces.clean_color, self.cleaned_data["color"]))

    def changes(self) -> dict[str, Any]:
        """The keyword arguments of services.edit_sound."""
        data = self.cleaned_data
        fields = ("name", "tags", "volume", "cooldown_s", "emoji")
        return {**{f: data[f] for f in fields}, "color": "" if data["no_color"] else data["color"]}

    @classmethod
    def for_sound(cls, sound: Sound) -> SoundDetailsForm:
        initial = {
            "name": sound.name,
            "tags": ", ".join(tag.name for tag in sound.tags.all()),
            "volume": sound.volume,
            "cooldown_s": sound.cooldown_s,
            "emoji": sound.emoji,
            "color": sound.color or "#4f46e5",
            "no_color": not sound.color,
        }
        return cls(initial=initial)
