from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kith.core"
    label = "core"

    def ready(self) -> None:
        # The outbox's periodic sweep and its start recovery (kith.jobs.at_start) are declared
        # on import: every process that runs jobs must have them, whatever else it imports.
        from kith.core import outbox  # noqa: F401
