from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "credits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from credits import signals  # noqa: F401, PLC0415  (receivers connect once the app registry is ready)
