from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "kith.messaging"
    label = "messaging"

    def ready(self) -> None:
        # Imported here, not at the top: a Django app's services (and the models they use)
        # may only be imported once the app registry is ready.
        from kith.messaging.services import publish_direct
        from kith.social.drafts import register_direct_publisher

        # Direct composes and replies to messages are messages: kith.social.drafts.submit
        # hands them to messaging, which sits above social and so cannot be imported by it.
        register_direct_publisher(publish_direct)
