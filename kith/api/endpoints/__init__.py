"""One module per area of the Mastodon API, each with its own `router`."""

from __future__ import annotations

from kith.api.endpoints import accounts, statuses

ROUTERS = [accounts.router, statuses.router]
