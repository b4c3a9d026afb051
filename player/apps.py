from django.apps import AppConfig


class PlayerConfig(AppConfig):
    name = "player"
    default_auto_field = "django.db.models.BigAutoField"
