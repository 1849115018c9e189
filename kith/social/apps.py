from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "kith.social"
    label = "social"

    def ready(self) -> None:
        # search subscribes the index to post events; media registers its worker jobs;
        # services subscribes to person purges; export registers social's sections of the data export.
        from kith.social import export, media, search, services  # noqa: F401
