"""What the client API keeps beside django-oauth-toolkit's own tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from oauth2_provider.models import Application


class RegisteredApp(models.Model):
    """A Mastodon client app registered through `POST /api/v1/apps`.

    DOT's Application holds the credentials and redirect URIs; this row holds what
    Mastodon keeps beside them (the website and the scopes the app may ask for) and
    marks the application as a Mastodon app, which may use the authorization-code,
    client-credentials and refresh grants on one registration (kith/api/oauth.py)."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, primary_key=True, related_name="registered_app"
    )
    website = models.CharField(max_length=2000, blank=True)
    scopes = models.CharField(max_length=2000, help_text="Space-separated scopes the app may request")
    created_at = models.DateTimeField(auto_now_add=True)

    def scope_list(self) -> list[str]:
        return self.scopes.split()


class WeeklyLogin(models.Model):
    """One row per account and week in which it logged in (web session or a new API token):
    the `logins` of `GET /api/v1/instance/activity`, counted as distinct accounts per week."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday (UTC) that starts the week")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "week"], name="api_weekly_login_unique")]
        indexes = [models.Index(fields=["week"], name="api_weekly_login_week_idx")]
