from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from sounds.models import Sort, SoundType
from sounds.piper import ENGINE as PIPER
from sounds.tts import DEFAULT_SPEED, DEFAULT_VOICE, MAX_CHARS, SPEEDS, voices


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    types = forms.MultipleChoiceField(
        required=False, choices=SoundType.choices, widget=forms.CheckboxSelectMultiple, label="Types"
    )
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
            "sort": data.get("sort") or Sort.NAME,
            "page": data.get("page") or 1,
            # Not a filter: the sentinel's flag holds even when a filter in its URL is bad.
            "more": bool(self.cleaned_data.get("more")),
        }


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
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [single(f, initial) for f in files if f] or [single(None, initial)]


class UploadForm(forms.Form):
    audio = MultipleFileField(
        label="Audio files",
        help_text=(
            f"MP3, WAV, FLAC, OGG, M4A… up to {settings.SOUNDS_MAX_UPLOAD_MB} MB and "
            f"{settings.SOUNDS_MAX_DURATION_S // 60} minutes each."
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
