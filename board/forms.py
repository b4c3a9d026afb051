"""What the board's own forms may post; the key's rules are the service's (one message for every way in)."""

from __future__ import annotations

from django import forms

from board.models import BoardView
from core.errors import UserError
from player.protocol import MAX_ID

NO_SUCH_SOUND = dict.fromkeys(("required", "invalid", "min_value", "max_value"), "No such sound.")


class BindForm(forms.Form):
    sound_id = forms.IntegerField(min_value=1, max_value=MAX_ID, error_messages=NO_SUCH_SOUND)
    key = forms.CharField(required=False, max_length=10, strip=True)

    def values(self) -> tuple[int, str]:
        if not self.is_valid():
            raise UserError("No such sound.", 400)
        return int(self.cleaned_data["sound_id"]), str(self.cleaned_data["key"])


class ViewForm(forms.Form):
    view = forms.ChoiceField(choices=BoardView.choices)

    def value(self) -> str:
        if not self.is_valid():
            raise UserError("Choose pads, cards, or automatic.", 400)
        return str(self.cleaned_data["view"])


class PartForm(forms.Form):
    part = forms.ChoiceField(required=False, choices=[("list", "list")])

    def wanted(self) -> str:
        return str(self.cleaned_data["part"]) if self.is_valid() else ""
