"""Keep live connections honest when an account is disabled by any route (admin form, shell, service)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.models import User


@receiver(pre_save, sender=User)
def remember_active_flag(sender: type[User], instance: User, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        instance._was_active = instance.is_active  # type: ignore[attr-defined]
        return
    previous = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    instance._was_active = bool(previous)  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def close_connections_of_disabled_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_was_active", False) and not instance.is_active:
        from accounts.services import end_live_connections

        user_id = instance.pk
        transaction.on_commit(lambda: end_live_connections(user_id))
