from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "kith.social"
    label = "social"

    def ready(self) -> None:
        # search subscribes the index to post events; media registers its worker jobs.
        from kith.social import media, search  # noqa: F401
