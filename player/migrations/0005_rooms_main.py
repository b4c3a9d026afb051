# Everything the one player had belongs to room `main`: its saved state, its queue, its quiet hours.

from django.db import migrations


def to_main(apps, schema_editor):
    Room = apps.get_model('player', 'Room')
    main, _ = Room.objects.get_or_create(slug='main', defaults={'name': 'Main'})
    for model in ('SavedPlayerState', 'QueueItem', 'QuietWindow'):
        apps.get_model('player', model).objects.filter(room__isnull=True).update(room=main)


class Migration(migrations.Migration):

    dependencies = [
        ('player', '0004_rooms'),
    ]

    operations = [
        migrations.RunPython(to_main, migrations.RunPython.noop),
    ]
