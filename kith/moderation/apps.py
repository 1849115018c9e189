from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "kith.moderation"
    label = "moderation"
