from django.apps import AppConfig


class SoundsConfig(AppConfig):
    name = "sounds"
    default_auto_field = "django.db.models.BigAutoField"
