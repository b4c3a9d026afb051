from django.db import migrations


def create_main(apps, schema_editor):
    Playlist = apps.get_model("playlists", "Playlist")
    if not Playlist.objects.filter(is_main=True).exists():
        Playlist.objects.create(name="Main playlist", description="The house playlist.", is_main=True)


class Migration(migrations.Migration):
    dependencies = [("playlists", "0001_initial")]

    operations = [migrations.RunPython(create_main, migrations.RunPython.noop)]
