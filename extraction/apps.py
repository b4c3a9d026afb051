from django.apps import AppConfig


class ExtractionConfig(AppConfig):
    name = "extraction"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from extraction import checks  # noqa: F401, PLC0415  (registers the start-up checks once apps load)
