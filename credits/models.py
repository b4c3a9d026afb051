"""The credit ledger: every change of a balance, with the balance before and after."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CreditAction(models.TextChoices):
    VLC_PLAY_SOUND = "vlc_play_sound", "Played a sound"
    PLAYER_PLAY = "player_play", "Started music"
    QUEUE_ADD = "queue_add", "Added to the music queue"
    AUDIO_EXTRACTION = "audio_extraction", "Audio extraction"
    TEXT_TO_SPEECH = "text_to_speech", "Text to speech"
    DAILY_RECHARGE = "daily_recharge", "Daily recharge"
    ADMIN_ADJUSTMENT = "admin_adjustment", "Admin adjustment"
    REFUND = "refund", "Refund"
    SIGNUP = "signup", "Welcome credits"


# How a paid music command started its track, as the ledger says it ("Next track “Alpha” from “Party”").
MUSIC_COMMAND_WORDS = {
    "play": "Played",
    "next": "Next track",
    "previous": "Previous track",
    "play_index": "Picked",
    "set_playlist": "Started the playlist with",
}


class AttemptState(models.TextChoices):
    """Where a debit for something that may not happen (an instant play) stands; blank for every other row."""

    PENDING = "pending", "Pending"
    PLAYED = "played", "Played"
    REFUNDED = "refunded", "Refunded"


class CreditTransactionQuerySet(models.QuerySet["CreditTransaction"]):
    def for_user(self, user_id: int) -> CreditTransactionQuerySet:
        return self.filter(user_id=user_id)

    def debits(self) -> CreditTransactionQuerySet:
        return self.filter(amount__lt=0, success=True)


class CreditTransaction(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_transactions")
    action = models.CharField(max_length=32, choices=CreditAction.choices, db_index=True)
    amount = models.IntegerField(help_text="Negative for a debit.")
    balance_before = models.PositiveIntegerField()
    balance_after = models.PositiveIntegerField()
    success = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Makes a once-only credit (the nightly recharge of a given day) safe to run twice.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    # An instant play's debit is its attempt: pending until the player records it as played or the web side
    # refunds it, each by one conditional UPDATE from pending, so a play is kept or refunded, never both.
    attempt = models.CharField(max_length=10, choices=AttemptState.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = CreditTransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="credit_user_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_after=models.F("balance_before") + models.F("amount")),
                name="credit_balance_arithmetic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.amount:+d}"

    @property
    def detail(self) -> str:
        """The human part of the metadata: which sound or track (and how the music got there), or why."""
        meta = self.metadata or {}
        if self.action == CreditAction.PLAYER_PLAY and meta.get("sound_name"):
            how = MUSIC_COMMAND_WORDS.get(str(meta.get("command")), "Played")
            where = f" from “{meta['playlist']}”" if meta.get("playlist") else ""
            return f"{how} “{meta['sound_name']}”{where}"
        return str(meta.get("sound_name") or meta.get("reason") or meta.get("day") or "")
