from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ApiToken, User, normalize_email


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="cli", help="A name to recognize the token by.")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        user = User.objects.filter(email=normalize_email(email)).first()
        if user is None:
            raise CommandError(f"No user with the email {email!r}.")
        if not user.is_active:
            raise CommandError(f"The account {user.email} is disabled; its tokens would not work.")
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("The name must be 1 to 100 characters.")
        _, raw = ApiToken.issue(user=user, name=name)
        self.stdout.write(raw)
