from django.db import migrations

PLANS = [
    ("free", "Free", "For everyone: enough for a lively day.", 25, 75),
    ("premium", "Premium", "For regulars who keep the room entertained.", 50, 150),
    ("pro", "Pro", "For admins and power users.", 100, 300),
]


def seed_plans(apps, schema_editor):
    Plan = apps.get_model("accounts", "Plan")
    for code, name, description, credits, max_credits in PLANS:
        Plan.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "credits": credits, "max_credits": max_credits},
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed_plans, migrations.RunPython.noop)]
