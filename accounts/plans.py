"""The plans every installation starts with (seeded by a data migration)."""

from __future__ import annotations

from typing import Any

PLANS = [
    ("free", "Free", "For everyone: enough for a lively day.", 25, 75),
    ("premium", "Premium", "For regulars who keep the room entertained.", 50, 150),
    ("pro", "Pro", "For admins and power users.", 100, 300),
]


def seed_plans(plan_model: Any) -> None:
    for code, name, description, credits, max_credits in PLANS:
        plan_model.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "credits": credits, "max_credits": max_credits},
        )
