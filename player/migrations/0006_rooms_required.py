import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('player', '0005_rooms_main'),
    ]

    operations = [
        migrations.AlterField(
            model_name='savedplayerstate',
            name='room',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='player.room'),
        ),
        migrations.AlterField(
            model_name='queueitem',
            name='room',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='player.room'),
        ),
    ]
