from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kith.api"
    label = "api"
    verbose_name = "Mastodon-compatible client API"
