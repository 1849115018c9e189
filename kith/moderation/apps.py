from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "kith.moderation"
    label = "moderation"

    def ready(self) -> None:
        # Subscribes the audit log to the actions lower packages report (events.Audited).
        from kith.moderation import audit  # noqa: F401
