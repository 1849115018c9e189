"""Log-in by username or e-mail; suspended and deleted accounts cannot log in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import HttpRequest

from kith.people.models import Account, AccountState


class AccountBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Account | None:
        if not username or password is None:
            return None
        account = Account.objects.filter(Q(username__iexact=username) | Q(email__iexact=username)).first()
        if account is None:
            # Spend the same time hashing as for a real account, so timing does not reveal names.
            Account().set_password(password)
            return None
        if account.check_password(password) and self.user_can_authenticate(account):
            return account
        return None

    def user_can_authenticate(self, user: Account | AnonymousUser | None) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "state", AccountState.ACTIVE) == AccountState.ACTIVE

    def get_user(self, user_id: Any) -> Account | None:
        user = super().get_user(user_id)
        # A session outlives a suspension only until its next request.
        return user if user is not None and user.state == AccountState.ACTIVE else None
