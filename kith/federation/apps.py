from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "kith.federation"
    label = "federation"
