from __future__ import annotations

from django import forms


class ExtractionForm(forms.Form):
    url = forms.CharField(
        max_length=2048,
        label="Link",
        widget=forms.URLInput(attrs={"placeholder": "https://www.youtube.com/watch?v=…", "autocomplete": "off"}),
    )
    trim_start = forms.FloatField(required=False, min_value=0, label="Start (s)", help_text="Optional.")
    trim_end = forms.FloatField(required=False, min_value=0.1, label="End (s)", help_text="Optional.")
