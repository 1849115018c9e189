from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "kith.federation"
    label = "federation"

    def ready(self) -> None:
        # Protocol-neutral consumers of domain events.
        from kith.federation import media_cache  # noqa: F401
