from __future__ import annotations

from django import forms

from credits.models import CreditAction


class HistoryFilterForm(forms.Form):
    """The Credits page's query. A bad value falls back to its default (all actions, the first page), never a 400."""

    action = forms.ChoiceField(required=False, choices=CreditAction.choices)
    page = forms.IntegerField(required=False, min_value=1)

    def action_value(self) -> str:
        self.is_valid()  # cleaned_data keeps the fields that are valid, whatever the others
        return str(self.cleaned_data.get("action") or "")

    def page_number(self) -> int:
        self.is_valid()
        return int(self.cleaned_data.get("page") or 1)
