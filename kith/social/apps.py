from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "kith.social"
    label = "social"
