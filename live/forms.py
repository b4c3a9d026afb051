from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from accounts.models import User


def _display_name(user: User) -> str:
    return user.display_name


class MessageForm(forms.Form):
    recipient = forms.ModelChoiceField(queryset=User.objects.none(), empty_label="Choose someone…")
    message = forms.CharField(
        max_length=settings.MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": settings.MESSAGE_MAX_LENGTH}),
    )

    def __init__(self, *args: Any, sender: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipient"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(is_active=True).exclude(pk=sender.pk).order_by("name", "email")
        field.label_from_instance = _display_name  # type: ignore[method-assign,assignment]  # Django's documented hook
