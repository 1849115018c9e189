from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "kith.graph"
    label = "graph"
