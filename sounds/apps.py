from django.apps import AppConfig


class SoundsConfig(AppConfig):
    name = "sounds"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sounds import tagfilter  # noqa: PLC0415  (models are loaded only now)

        tagfilter.connect()
