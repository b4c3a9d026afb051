"""Keep live connections and API tokens honest when an account changes by any route (admin form, allauth's
password pages, `changepassword`, the shell, a service)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts import services
from accounts.models import ApiToken, User


@receiver(pre_save, sender=User)
def remember_active_flag(sender: type[User], instance: User, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        instance._was_active = instance.is_active
        return
    previous = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    instance._was_active = bool(previous)


def _password_replaced(instance: User, update_fields: Any) -> bool:
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return False
    # Django keeps the raw password in `_password` from set_password() until the save: a new password is
    # being stored. Its transparent re-hash on login (a hasher upgrade) clears it first, so it doesn't count:
    # a Django upgrade must not kill every token.
    if getattr(instance, "_password", None) is not None:
        return True
    # "Disable password-based sign-in" (set_unusable_password) is a change too.
    if not instance.has_usable_password():
        previous = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
        return previous is not None and previous != instance.password
    return False


@receiver(pre_save, sender=User)
def remember_password_change(sender: type[User], instance: User, **kwargs: Any) -> None:
    instance._password_replaced = _password_replaced(instance, kwargs.get("update_fields"))


@receiver(post_save, sender=User)
def revoke_tokens_after_password_change(sender: type[User], instance: User, **kwargs: Any) -> None:
    # A password change is how someone locks out whoever learned the old one: their tokens must die with it
    # (Django already ends the other sessions).
    if getattr(instance, "_password_replaced", False):
        instance._password_replaced = False
        services.revoke_tokens(ApiToken.objects.filter(user=instance))


@receiver(post_save, sender=User)
def close_connections_of_disabled_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_was_active", False) and not instance.is_active:
        user_id = instance.pk
        transaction.on_commit(lambda: services.end_live_connections(user_id))


@receiver(email_confirmed)
def grant_welcome_credits_on_verification(
    sender: Any, request: Any, email_address: EmailAddress, **kwargs: Any
) -> None:
    services.grant_welcome_credits(user_id=email_address.user_id)
