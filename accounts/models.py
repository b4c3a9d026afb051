"""Users, their plans and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

DEFAULT_PLAN_CODE = "free"
SUPERUSER_PLAN_CODE = "pro"


class Plan(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    credits = models.PositiveIntegerField(help_text="Credits granted every night.")
    max_credits = models.PositiveIntegerField(help_text="The balance never grows past this by recharge.")

    class Meta:
        ordering = ["credits"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credits__lte=models.F("max_credits")), name="plan_credits_le_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def normalize_email(email: str) -> str:
    # Stored lower-cased so every lookup is exact; the functional unique index guards the rule in the DB.
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if "plan" not in extra and "plan_id" not in extra:
            extra["plan"] = Plan.objects.filter(code=SUPERUSER_PLAN_CODE).first()
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField("display name", max_length=100, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    credits = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Not fields: accounts.signals notes these on the instance between pre_save and post_save.
    _was_active: bool
    _password_replaced: bool
    is_staff = models.BooleanField("admin", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set at sign-up while email verification is on and the address is not yet proven: the plan's first
    # credits wait for the first verified address (a throwaway address earns nothing).
    welcome_credits_pending = models.BooleanField(default=False, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="uq_user_email_ci"),
            models.CheckConstraint(condition=models.Q(credits__gte=0), name="user_credits_gte_0"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]

    @property
    def initials(self) -> str:
        parts = self.display_name.replace(".", " ").split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def can_be_managed_by(self, actor: User) -> bool:
        """Whether `actor` (staff) may change this account: only a superuser touches a superuser, or a staff
        member could disable, rename or take over (email, then a reset) the accounts above them."""
        return actor.is_superuser or not self.is_superuser

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        if self._state.adding and self.plan_id is None:
            # Every way of creating a user (sign-up, OAuth, create_user, the admin) starts on the free plan
            # with its daily credits.
            plan = Plan.objects.filter(code=DEFAULT_PLAN_CODE).first()
            if plan is not None:
                self.plan = plan
        if self._state.adding and not self.credits and self.plan is not None and not self.welcome_credits_pending:
            self.credits = self.plan.credits
        super().save(*args, **kwargs)


TOKEN_PREFIX = "sb_"  # noqa: S105  (a public marker, not a secret)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the raw token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters, kept so a user can tell their tokens apart in the list.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    # Writing last_used_at on every request would turn each API read into a write; a minute is precise enough.
    LAST_USED_PRECISION = timedelta(minutes=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user: User, name: str, expires_at: Any = None) -> tuple[ApiToken, str]:
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_hash=hash_token(raw), prefix=raw[:10], expires_at=expires_at
        )
        return token, raw

    @classmethod
    def find_usable(cls, raw: str) -> ApiToken | None:
        """The usable token (not revoked or expired, its user active) whose raw value is `raw`, its user
        loaded; records the use."""
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            return None
        token = cls.objects.usable().select_related("user").filter(key_hash=hash_token(raw)).first()
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > cls.LAST_USED_PRECISION:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token

    @classmethod
    def authenticate(cls, raw: str) -> User | None:
        token = cls.find_usable(raw)
        return token.user if token is not None else None

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


def default_invite_expiry() -> Any:
    return timezone.now() + timedelta(days=7)


class InviteQuerySet(models.QuerySet["Invite"]):
    def open(self) -> InviteQuerySet:
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class Invite(models.Model):
    """A single-use sign-up link made by staff (SIGNUP=invite). Only its SHA-256 is stored."""

    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    note = models.CharField(max_length=100, blank=True, help_text="Who it is for; only staff see it.")
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=default_invite_expiry)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)
    used_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.note or f"Invite #{self.pk}"

    def set_new_key(self) -> str:
        """Give the invite a fresh key and return it: the link can be shown this once, never again."""
        raw = secrets.token_urlsafe(24)
        self.key_hash = hash_token(raw)
        return raw

    @classmethod
    def issue(cls, *, by: User | None, note: str = "", expires_at: Any = None) -> tuple[Invite, str]:
        invite = cls(note=note, created_by=by, expires_at=expires_at or default_invite_expiry())
        raw = invite.set_new_key()
        invite.save()
        return invite, raw

    @classmethod
    def find_open(cls, raw: str) -> Invite | None:
        if not raw or len(raw) > 100:
            return None
        return cls.objects.open().filter(key_hash=hash_token(raw)).first()

    def claim(self, user: User) -> bool:
        """Spend the invite on `user`; False when someone else got there first (or it expired meanwhile).

        One conditional UPDATE: two sign-ups racing with the same link can't both win. Claiming again for the
        same user (the social sign-up form passes twice) is a success.
        """
        won = Invite.objects.open().filter(pk=self.pk).update(used_at=timezone.now(), used_by=user)
        return bool(won) or Invite.objects.filter(pk=self.pk, used_by=user).exists()

    @property
    def status(self) -> str:
        if self.used_at:
            return "used"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class FirstAccount(models.Model):
    """The install's first account, made staff at sign-up (as Navidrome does): one row, ever.

    The unique slot is the race guard: two first sign-ups at once both insert slot 1 and the database lets
    exactly one in, whatever each saw of the other's uncommitted account.
    """

    slot = models.PositiveSmallIntegerField(unique=True, default=1, editable=False)
    user = models.OneToOneField(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"First account: {self.user_id}"
