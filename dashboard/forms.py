"""The dashboard's filters: bad input falls back to the default view with the reason shown (a 400)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from dashboard import stats
from player import rooms

PERIOD_LABELS = {
    "today": "Today", "1_day": "Last 24 hours", "1_week": "Last 7 days", "1_month": "Last 30 days",
    "1_year": "Last year", "all_time": "All time",
}  # fmt: skip
TYPE_LABELS = {"all": "All types", "SDB": "Soundboard", "TTS": "Text to speech", "EXT": "Extracted"}
DEFAULTS: dict[str, object] = {"type": "all", "period": "1_week", "limit": 10, "room": ""}  # "": every room
LIMIT_REFUSAL = f"limit must be between {stats.LIMITS[0]} and {stats.LIMITS[1]}."


class DashboardFilterForm(forms.Form):
    # The same sentences the API answers (dashboard.stats.validate), so both explain a bad filter alike.
    type = forms.ChoiceField(
        choices=[(t, TYPE_LABELS.get(t, t)) for t in stats.TYPES],
        required=False,
        error_messages={"invalid_choice": f"Unknown sound_type %(value)r; use one of: {', '.join(stats.TYPES)}."},
    )
    period = forms.ChoiceField(
        choices=[(p, PERIOD_LABELS[p]) for p in stats.PERIODS],
        required=False,
        error_messages={"invalid_choice": f"Unknown period %(value)r; use one of: {', '.join(stats.PERIODS)}."},
    )
    limit = forms.IntegerField(
        min_value=stats.LIMITS[0],
        max_value=stats.LIMITS[1],
        required=False,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), LIMIT_REFUSAL),
    )

    room = forms.ChoiceField(required=False, error_messages={"invalid_choice": "There is no room %(value)r."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The rooms as they are now (a room made after start-up is a choice at once).
        self.room_choices: list[tuple[str, str]] = [("", "Every room"), *rooms.names().items()]
        cast(forms.ChoiceField, self.fields["room"]).choices = self.room_choices

    def filters(self) -> dict[str, object]:
        """The filters to show: what was asked for, or the default view when any of it is invalid."""
        if not self.is_valid():
            return dict(DEFAULTS)
        return {name: self.cleaned_data[name] or default for name, default in DEFAULTS.items()}

    def problem(self) -> str:
        return " ".join(str(e) for errors in self.errors.values() for e in errors)
