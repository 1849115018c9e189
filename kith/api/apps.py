from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kith.api"
    label = "api"
    verbose_name = "Mastodon-compatible client API"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from oauth2_provider.signals import app_authorized

        from kith.api.clients import record_login

        # Weekly log-ins for /api/v1/instance/activity: a web log-in, or a token issued to a person.
        def web_login(sender, request, user, **kwargs) -> None:
            record_login(user)

        def token_issued(sender, request, token, **kwargs) -> None:
            if token.user_id is not None:
                record_login(token.user)

        user_logged_in.connect(web_login, dispatch_uid="kith.api.web_login", weak=False)
        app_authorized.connect(token_issued, dispatch_uid="kith.api.token_issued", weak=False)
