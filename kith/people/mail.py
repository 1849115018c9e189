"""E-mail to account owners about their account: rendered from kith/web/templates/web/email/
in the request, sent by the job worker (so no answer's timing depends on whether mail went out)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kith.jobs import enqueue_on_commit, task
from kith.people.models import Account, AccountState


@task()
def deliver_mail_job(subject: str, body: str, recipient: str) -> None:
    send_mail(subject, body, None, [recipient])


def send_templated(template: str, recipient: str, context: dict[str, Any]) -> None:
    """Render web/email/<template>_subject.txt and <template>.txt and queue the mail."""
    context = {"site_name": settings.KITH_DOMAIN, "pod_url": settings.KITH_URL, **context}
    subject = " ".join(render_to_string(f"web/email/{template}_subject.txt", context).split())
    body = render_to_string(f"web/email/{template}.txt", context)
    enqueue_on_commit(deliver_mail_job, subject, body, recipient)


def reset_link(account: Account) -> str:
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    return settings.KITH_URL + reverse("web:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def tell_owner_of_lockout(name: str, address: str, seconds: int) -> None:
    """One e-mail when an account's name first gets locked."""
    account = Account.objects.filter(
        Q(username__iexact=name) | Q(email__iexact=name), state=AccountState.ACTIVE
    ).first()
    if account is None or not account.email:
        return
    send_templated("login_locked", account.email, {
        "user": account, "address": address, "minutes": max(1, round(seconds / 60)),
        "reset_url": settings.KITH_URL + reverse("web:password_reset"),
    })
