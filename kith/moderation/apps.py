from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "kith.moderation"
    label = "moderation"

    def ready(self) -> None:
        # Subscribes the audit log to the actions lower packages report (events.Audited).
        # suspensions: registers the periodic purge of suspensions not lifted in time.
        from kith.moderation import audit, suspensions  # noqa: F401
