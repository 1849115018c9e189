from django.apps import AppConfig


class StreamingConfig(AppConfig):
    name = "kith.api.streaming"
    label = "streaming"
    verbose_name = "Mastodon streaming API"

    def ready(self) -> None:
        # Records edits and deletions for the streaming processes to tail.
        from kith.api.streaming import consumers  # noqa: F401
