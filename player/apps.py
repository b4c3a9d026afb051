from django.apps import AppConfig


class PlayerConfig(AppConfig):
    name = "player"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the quiet-hours signal that tells open pages about a changed window.
        from player import quiet  # noqa: F401, PLC0415  (signal receivers: the apps must be loaded first)
