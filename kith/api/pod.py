"""Facts about this pod for the instance endpoints: limits, counts, activity, contact.

Every number is read from the database or from the limits the domain enforces
(kith.social.services, kith.social.media), never written down twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from PIL import Image

from kith.api.clients import week_start
from kith.api.models import WeeklyLogin
from kith.moderation import rules as pod_rules
from kith.people.models import Account, AccountState, Person
from kith.social import compose
from kith.social import media as social_media
from kith.social import services as social
from kith.social.models import Comment, Post

STATS_CACHE_SECONDS = 60
ACTIVITY_WEEKS = 12


def title() -> str:
    return getattr(settings, "KITH_POD_NAME", "") or settings.KITH_DOMAIN


def description() -> str:
    return f"Kith pod at {settings.KITH_DOMAIN}"


def streaming_url() -> str:
    """Where clients open streams: KITH_STREAMING_URL, else the pod's own origin as ws(s)://."""
    configured = getattr(settings, "KITH_STREAMING_URL", "")
    if configured:
        return configured
    scheme, _, rest = settings.KITH_URL.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}"


def local_accounts():  # -> QuerySet[Account]
    return Account.objects.filter(state=AccountState.ACTIVE, person__isnull=False)


@dataclass(frozen=True)
class Stats:
    user_count: int
    status_count: int
    domain_count: int
    active_month: int


def stats() -> Stats:
    """Counts for the instance entities, cached briefly: every client start asks for them."""
    cached = cache.get("kith:api:instance-stats")
    if cached is not None:
        return Stats(**cached)
    month_ago = timezone.now() - timedelta(days=30)
    counts = local_accounts().aggregate(
        users=Count("id"), active=Count("id", filter=Q(last_login__gte=month_ago))
    )
    # A Mastodon status is a Kith post (reshares included) or a comment.
    statuses = Post.objects.filter(author__domain="").count() + Comment.objects.filter(author__domain="").count()
    result = Stats(
        user_count=counts["users"],
        status_count=statuses,
        domain_count=len(known_domains()),
        active_month=counts["active"],
    )
    cache.set("kith:api:instance-stats", result.__dict__, STATS_CACHE_SECONDS)
    return result


def known_domains() -> list[str]:
    """Other pods this one knows people of (Mastodon's peers), sorted."""
    domains = Person.objects.exclude(domain="").values_list("domain", flat=True).distinct()
    return sorted(set(domains))


def contact_person() -> Person | None:
    """The pod's first active administrator, if any."""
    return (
        Person.objects.filter(
            Q(account__is_staff=True) | Q(account__is_superuser=True),
            account__state=AccountState.ACTIVE, domain="",
        )
        .order_by("account__id")
        .first()
    )


def rules() -> list[dict[str, str]]:
    """Mastodon's Rule entities: the ids are the PodRule ids that reports cite (`rule_ids`)."""
    return [{"id": str(rule.id), "text": rule.text, "hint": rule.hint} for rule in pod_rules.active_rules()]


def status_limits() -> dict[str, int]:
    return {
        "max_characters": compose.MAX_POST_CHARS,
        "max_media_attachments": compose.MAX_MEDIA_PER_POST,
        # Kith counts a link at its real length; with a 65,535-character limit that never
        # matters, and clients expect the field: Mastodon's value keeps their counters familiar.
        "characters_reserved_per_url": 23,
    }


def media_limits() -> dict[str, object]:
    return {
        "supported_mime_types": list(social_media.UPLOAD_TYPES.values()),
        "description_limit": social_media.MAX_DESCRIPTION_CHARS,
        "image_size_limit": settings.KITH_MAX_UPLOAD_BYTES,
        # Pillow refuses larger images as decompression bombs; bigger sides are scaled down.
        "image_matrix_limit": Image.MAX_IMAGE_PIXELS,
        # Kith takes photos only.
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
    }


def poll_limits() -> dict[str, int]:
    return {
        "max_options": social.MAX_POLL_OPTIONS,
        "max_characters_per_option": social.MAX_POLL_OPTION_CHARS,
        "min_expiration": int(social.MIN_POLL_DURATION.total_seconds()),
        "max_expiration": int(social.MAX_POLL_DURATION.total_seconds()),
    }


def account_limits() -> dict[str, int]:
    limits = {"max_featured_tags": 0}  # Kith has no featured tags
    if (max_pins := getattr(social, "MAX_PINS", None)) is not None:  # pins are being built (issue 4)
        limits["max_pinned_statuses"] = max_pins
    return limits


def weekly_activity(weeks: int = ACTIVITY_WEEKS, now: datetime | None = None) -> list[dict[str, str]]:
    """Local statuses, log-ins and sign-ups per week (Monday 00:00 UTC), newest week first,
    as Mastodon's strings.  Three grouped queries whatever the numbers."""
    this_week = week_start(now or timezone.now())
    first_week = this_week - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_week, time.min, tzinfo=UTC)

    def per_week(rows) -> dict:  # rows of (date, count)
        counted: dict = {}
        for day, count in rows:
            monday = day - timedelta(days=day.weekday())
            counted[monday] = counted.get(monday, 0) + count
        return counted

    def daily(queryset, field: str):
        return (
            queryset.filter(**{f"{field}__gte": since})
            .annotate(day=TruncDate(field, tzinfo=UTC))
            .values_list("day")
            .annotate(count=Count("pk"))
            .values_list("day", "count")
            .order_by()
        )

    posts = per_week(daily(Post.objects.filter(author__domain=""), "created_at"))
    comments = per_week(daily(Comment.objects.filter(author__domain=""), "created_at"))
    signups = per_week(daily(Account.objects.filter(person__isnull=False), "date_joined"))
    logins = dict(
        WeeklyLogin.objects.filter(week__gte=first_week).values_list("week").annotate(n=Count("pk"))
        .values_list("week", "n").order_by()
    )
    rows = []
    for index in range(weeks):
        week = this_week - timedelta(weeks=index)
        start = datetime.combine(week, time.min, tzinfo=UTC)
        rows.append({
            "week": str(int(start.timestamp())),
            "statuses": str(posts.get(week, 0) + comments.get(week, 0)),
            "logins": str(logins.get(week, 0)),
            "registrations": str(signups.get(week, 0)),
        })
    return rows
