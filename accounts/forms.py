from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from accounts.models import User

EXPIRY_CHOICES = [("", "Never"), ("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "1 year")]


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["name"]
        help_texts = {"name": "How other people see you. Leave empty to use the first part of your email."}

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if any(ord(c) < 32 for c in name):
            raise forms.ValidationError("The name cannot contain control characters.")
        return name


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “stream deck”.")
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name

    def expires_at(self) -> object:
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=int(days)) if days else None
