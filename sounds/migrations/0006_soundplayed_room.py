# Rooms (issue 13): every play records its room; the plays before rooms were all in `main`.

import django.db.models.deletion
from django.db import migrations, models


def to_main(apps, schema_editor):
    Room = apps.get_model('player', 'Room')
    main, _ = Room.objects.get_or_create(slug='main', defaults={'name': 'Main'})
    apps.get_model('sounds', 'SoundPlayed').objects.filter(room__isnull=True).update(room=main)


class Migration(migrations.Migration):

    dependencies = [
        ('player', '0005_rooms_main'),
        ('sounds', '0005_board_favorites_tags_volume_cooldown_faces'),
    ]

    operations = [
        migrations.AddField(
            model_name='soundplayed',
            name='room',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='player.room'),
        ),
        migrations.RunPython(to_main, migrations.RunPython.noop),
    ]
