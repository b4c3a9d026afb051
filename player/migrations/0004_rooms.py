# Rooms (issue 13): the Room table, each person's chosen room, and a room key on what was the one player's.
# The keys start empty here, are filled with room `main` in 0005 and made required in 0006 (separate
# migrations, so PostgreSQL never alters a table with row updates pending in the same transaction).

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('player', '0003_queueitem'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Room',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.CharField(help_text='1 to 40 characters: lower-case letters, digits and hyphens, starting with a letter or digit.', max_length=40, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9-]{0,39}$', '1 to 40 characters: lower-case letters, digits and hyphens, starting with a letter or digit.')])),
                ('name', models.CharField(max_length=60)),
                ('default_volume', models.PositiveSmallIntegerField(default=80, help_text="The music's volume the first time this room's player starts (then it keeps its own).", validators=[django.core.validators.MaxValueValidator(100)])),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['slug'],
                'constraints': [models.CheckConstraint(condition=models.Q(('slug__regex', '^[a-z0-9][a-z0-9-]{0,39}$')), name='room_slug_valid')],
            },
        ),
        migrations.CreateModel(
            name='ChosenRoom',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('room', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='player.room')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.AddField(
            model_name='savedplayerstate',
            name='room',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='player.room'),
        ),
        migrations.AddField(
            model_name='queueitem',
            name='room',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='player.room'),
        ),
        migrations.AddField(
            model_name='quietwindow',
            name='room',
            field=models.ForeignKey(blank=True, help_text='Leave empty for every room.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='quiet_windows', to='player.room'),
        ),
    ]
