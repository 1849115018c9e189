from django.apps import AppConfig


class ActivityPubConfig(AppConfig):
    name = "kith.federation.activitypub"
    label = "activitypub"

    def ready(self) -> None:
        # Subscribes federation's consumers to domain events (the twin of kith.timelines.consumers).
        from kith.federation.activitypub import outbound  # noqa: F401
