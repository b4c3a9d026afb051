from __future__ import annotations

from django import forms

# No sound is longer than a day; services.check_trims then holds trims to EXTRACTION_MAX_DURATION_S.
MAX_TRIM_S = 86400.0


class ExtractionForm(forms.Form):
    url = forms.CharField(
        max_length=2048,
        label="Link",
        widget=forms.URLInput(attrs={"placeholder": "https://www.youtube.com/watch?v=…", "autocomplete": "off"}),
    )
    # Django's FloatField refuses NaN and infinities; the bounds keep huge numbers out too.
    trim_start = forms.FloatField(
        required=False, min_value=0, max_value=MAX_TRIM_S, label="Start (s)", help_text="Optional."
    )
    trim_end = forms.FloatField(
        required=False, min_value=0.1, max_value=MAX_TRIM_S, label="End (s)", help_text="Optional."
    )
