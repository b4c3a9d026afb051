from django.db import migrations

from accounts.plans import seed_plans


def forwards(apps, schema_editor):
    seed_plans(apps.get_model("accounts", "Plan"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
