from __future__ import annotations

from typing import Any

from django import forms

from player.protocol import MAX_ID
from playlists.services import PlaylistError


class PlaylistForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


def checked[FormT: forms.Form](form: FormT) -> FormT:
    """The form once valid; else a PlaylistError (400) with its first reason, which web.refusals answers."""
    if not form.is_valid():
        reasons = [str(error) for errors in form.errors.values() for error in errors]
        raise PlaylistError(reasons[0] if reasons else "Invalid request.", 400)
    return form


class AddSoundForm(forms.Form):
    sound_id = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), "Pick a sound to add."),
    )


OFFSETS = {"up": -1, "down": 1}


class MoveForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[(name, name) for name in OFFSETS],
        error_messages={"required": "Move up or down.", "invalid_choice": "Move up or down."},
    )

    def offset(self) -> int:
        return OFFSETS[self.cleaned_data["direction"]]


class IdListField(forms.Field):
    """Every value of a repeated field (`item=3&item=1&item=2`) as database ids, in the order sent."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value or []
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise forms.ValidationError("The order must be a list of entry ids.", code="invalid") from None
        if any(not 1 <= i <= MAX_ID for i in ids):
            raise forms.ValidationError("The order must be a list of entry ids.", code="invalid")
        return ids


class ReorderForm(forms.Form):
    item = IdListField(required=False)


class PickerForm(forms.Form):
    """The "add a sound" search box; a longer query is cut, not refused (it is typed as one searches)."""

    q = forms.CharField(required=False, strip=False)

    def query(self) -> str:
        return str(self.cleaned_data["q"])[:100] if self.is_valid() else ""


class DetailPartForm(forms.Form):
    """Which part of the detail page an htmx request wants (`items` after an edit elsewhere)."""

    part = forms.ChoiceField(required=False, choices=[("items", "items")])

    def wanted(self) -> str:
        return str(self.cleaned_data["part"]) if self.is_valid() else ""
