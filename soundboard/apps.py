from django.apps import AppConfig


class SoundboardConfig(AppConfig):
    name = "soundboard"
    default_auto_field = "django.db.models.BigAutoField"
