from django.apps import AppConfig


class ActivityPubConfig(AppConfig):
    name = "kith.federation.activitypub"
    label = "activitypub"
