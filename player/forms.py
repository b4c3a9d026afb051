"""What the player bar and the player page may post: one form, its choices and bounds from `player.protocol`.

The same bounds are in the API's schemas (`player.api`) and in the bar's controls (`player_tags`), so a number
the channel layer can't carry (a 25-digit one) is a 400 here, never a message to the daemon.
"""

from __future__ import annotations

from typing import Any

from django import forms

from core.errors import UserError
from player.models import QuietWindow
from player.protocol import MAX_ID, MAX_POSITION_MS, MAX_TRACK_INDEX, MAX_VOLUME, MIN_VOLUME, MODES, MUSIC_COMMANDS

# The protocol's modes, labelled from their names ("loop_one" → "Loop one"): one list for the form and the bar.
MODE_CHOICES: list[tuple[str, str]] = [(mode, mode.replace("_", " ").capitalize()) for mode in MODES]

# "settings" is the bar's mode-and-volume form, which posts both controls at once: the view applies what changed.
SETTINGS = "settings"
COMMAND_CHOICES: list[tuple[str, str]] = [(name, name) for name in sorted(MUSIC_COMMANDS)] + [(SETTINGS, SETTINGS)]

# Which fields a command needs, by their form names (the protocol's parameter names are given in `params`).
REQUIRED: dict[str, tuple[str, ...]] = {
    "play_index": ("index",),
    "seek": ("position_ms",),
    "set_volume": ("volume",),
    "set_mode": ("mode",),
    "set_playlist": ("playlist_id",),
}


def _bounded(low: int, high: int, message: str) -> forms.IntegerField:
    """A whole number in [low, high] whose refusal names the range (Django's own names only the bound crossed)."""
    messages = {"min_value": message, "max_value": message, "invalid": "That is not a number."}
    return forms.IntegerField(required=False, min_value=low, max_value=high, error_messages=messages)


class MusicForm(forms.Form):
    command = forms.ChoiceField(choices=COMMAND_CHOICES, error_messages={"invalid_choice": "Unknown player command."})
    index = _bounded(0, MAX_TRACK_INDEX, f"Pick a track between 0 and {MAX_TRACK_INDEX}.")
    position_ms = _bounded(0, MAX_POSITION_MS, f"Seek to a position between 0 and {MAX_POSITION_MS} ms.")
    volume = _bounded(MIN_VOLUME, MAX_VOLUME, f"Volume must be between {MIN_VOLUME} and {MAX_VOLUME}.")
    mode = forms.ChoiceField(
        required=False,
        choices=MODE_CHOICES,
        error_messages={"invalid_choice": f"Unknown mode: choose one of {', '.join(MODES)}."},
    )
    playlist_id = _bounded(1, MAX_ID, "No such playlist.")
    # The playlist page's "play it now" flag: "1" plays, anything else (or nothing) just selects the list.
    play = forms.CharField(required=False, max_length=10)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in REQUIRED.get(cleaned.get("command", ""), ()):
            if cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, f"“{cleaned['command']}” needs a {name.replace('_', ' ')}.")
        return cleaned

    def checked(self) -> MusicForm:
        """The form itself once valid; a UserError (400) with the first reason otherwise, for web.refusals."""
        if not self.is_valid():
            reasons = [str(error) for errors in self.errors.values() for error in errors]
            raise UserError(reasons[0] if reasons else "Invalid player command.", 400)
        return self

    @property
    def command_name(self) -> str:
        return str(self.cleaned_data["command"])

    def params(self) -> dict[str, Any]:
        """The command's parameters under the protocol's names (`player.protocol.MusicParams`)."""
        data = self.cleaned_data
        return {
            "play_index": {"index": data["index"]},
            "seek": {"ms": data["position_ms"]},
            "set_volume": {"volume": data["volume"]},
            "set_mode": {"mode": data["mode"]},
            "set_playlist": {"playlist_id": data["playlist_id"], "play": data["play"] == "1"},
        }.get(self.command_name, {})


class PageForm(forms.Form):
    """The player page's query: which part an htmx request wants (the page script asks for `tracks`)."""

    part = forms.ChoiceField(required=False, choices=[("tracks", "tracks"), ("queue", "queue")])

    def wanted(self) -> str:
        """The part asked for; "" (the whole page) when none or an unknown one is."""
        return str(self.cleaned_data["part"]) if self.is_valid() else ""


def _valid(form: forms.Form) -> dict[str, Any]:
    """The cleaned data; a UserError (400) with the first reason otherwise, for web.refusals."""
    if not form.is_valid():
        reasons = [str(error) for errors in form.errors.values() for error in errors]
        raise UserError(reasons[0] if reasons else "Invalid input.", 400)
    return form.cleaned_data


NO_SUCH_SOUND = dict.fromkeys(("required", "invalid", "min_value", "max_value"), "No such sound.")
UP_OR_DOWN = {"required": "Move it up or down.", "invalid_choice": "Move it up or down."}


class QueueAddForm(forms.Form):
    """A card's "Play next" (`where=next`) or "Add to queue" (`where=last`)."""

    sound_id = forms.IntegerField(min_value=1, max_value=MAX_ID, error_messages=NO_SUCH_SOUND)
    where = forms.ChoiceField(
        choices=[("next", "Play next"), ("last", "Add to queue")],
        error_messages={"required": "Say where: next or last.", "invalid_choice": "Say where: next or last."},
    )

    def values(self) -> tuple[int, bool]:
        data = _valid(self)
        return int(data["sound_id"]), data["where"] == "next"


class QueueMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], error_messages=UP_OR_DOWN)

    def up(self) -> bool:
        return bool(_valid(self)["direction"] == "up")


class QueueOrderForm(forms.Form):
    """Drag and drop's new order: queued items' ids, as repeated `item` fields (ids that left are ignored)."""

    def ids(self, *, most: int) -> list[int]:
        raw = self.data.getlist("item") if hasattr(self.data, "getlist") else []
        if len(raw) > most:
            raise UserError(f"The queue holds at most {most} sounds.", 400)
        if not all(isinstance(v, str) and v.isdigit() and 0 < len(v) <= 18 for v in raw):
            raise UserError("The new order must list queued sounds by their numbers.", 400)
        return [int(v) for v in raw]


class QuietWindowForm(forms.ModelForm[QuietWindow]):
    """Staff's quiet-hours page: a weekly window. The model's `clean` refuses one that ends before it starts or
    overlaps another, with the reason (the admin says the same)."""

    class Meta:
        model = QuietWindow
        fields = ["day", "start", "end", "room", "note"]
        widgets = {
            "start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {"start": "From", "end": "To"}
        # The page says it once for the whole form (the site's time zone, 00:00 as the end of a day).
        help_texts = {"start": "", "end": "", "room": "", "note": "Why, for the people who see the banner (optional)."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        room = self.fields["room"]
        assert isinstance(room, forms.ModelChoiceField)
        room.empty_label = "Every room"


class RoomChoiceForm(forms.Form):
    """The room switcher's button: a room's slug (`player.rooms` says what is wrong with one: 400, or 404)."""

    room = forms.CharField(strip=False, error_messages={"required": "Choose a room."})

    def slug(self) -> str:
        return str(_valid(self)["room"])
