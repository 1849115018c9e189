from django.apps import AppConfig


class TimelinesConfig(AppConfig):
    name = "kith.timelines"
    label = "timelines"

    def ready(self) -> None:
        # Subscribes the local surfacing consumers (stream rows, notifications) to domain events.
        from kith.timelines import consumers  # noqa: F401
