"""One module per area of the Mastodon API, each with its own `router`."""

from __future__ import annotations

from kith.api.endpoints import (
    accounts,
    admin_accounts,
    admin_domains,
    admin_reports,
    apps,
    conversations,
    discovery,
    filters,
    instance,
    lists,
    media,
    notifications,
    relationships,
    statuses,
    timelines,
)

ROUTERS = [
    instance.router,
    apps.router,
    accounts.router,
    relationships.router,
    statuses.router,
    media.router,
    timelines.router,
    lists.router,
    notifications.router,
    conversations.router,
    filters.router,
    discovery.router,
    admin_domains.router,
    admin_accounts.router,
    admin_reports.router,
]
