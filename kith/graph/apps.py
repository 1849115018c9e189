from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "kith.graph"
    label = "graph"

    def ready(self) -> None:
        # Subscribes the graph's in-transaction consumers (new accounts, moves, purges);
        # registers its sections of the data export.
        from kith.graph import export, services  # noqa: F401
