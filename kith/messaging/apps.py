from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "kith.messaging"
    label = "messaging"

    def ready(self) -> None:
        # Registers messaging's section of the data export.
        from kith.messaging import export  # noqa: F401
