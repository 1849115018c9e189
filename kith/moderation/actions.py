"""Actions staff take on accounts, local and remote (warn, delete posts, mark media sensitive,
limit, freeze, suspend), their lifting and lapsing, and the target's one appeal.

Each action is an AccountAction row (Mastodon's strike) that says what was done, why, under
which rules and until when; the state it puts the person in is written by the owning
packages' services (kith.people for the person and account, kith.social for posts and
comments), so deletions and edits federate as ordinary ones do.  A local target is told
through a moderation_warning notice (kith.timelines writes it).

`staff` None everywhere means the pod's operator at the command line (kith/cli_moderation.py)
or the pod itself (an action lapsing): the audit log's actor is then empty."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kith.core import events
from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.moderation import audit, permissions
from kith.moderation.domains import is_limited_domain, policy_for
from kith.moderation.models import (
    AccountAction,
    ActionKind,
    Appeal,
    AppealState,
    DomainSeverity,
    PodRule,
    Report,
    ReportState,
)
from kith.moderation.reports import resolve_report
from kith.moderation.severance import sever_and_notify
from kith.people import remote as remote_people
from kith.people import services as people
from kith.people.models import Account, AccountState, Person, Role
from kith.social import services as social
from kith.social.models import Comment, Post

MAX_REASON_CHARS = 5000
MAX_APPEAL_CHARS = 2000
# A local person may appeal an action for this long; a local suspension's data is kept as long.
APPEAL_WINDOW = timedelta(days=30)
# What a lapse sweep ends in one go (the next minute's sweep takes the rest).
LAPSE_BATCH = 200


class EndReason:
    LIFTED = "lifted"  # staff lifted it
    LAPSED = "lapsed"  # its time ran out
    APPEAL = "appeal"  # an appeal was approved

    ALL = (LIFTED, LAPSED, APPEAL)
    # Its target was purged or deleted: nothing is left to reverse (not a way to lift one).
    GONE = "gone"


# The kinds that put the person in a state which lifting takes away (a `sensitive` action
# only when it named no posts: then it marked the whole account).
STATEFUL_KINDS = (ActionKind.LIMIT, ActionKind.FREEZE, ActionKind.SUSPEND, ActionKind.SENSITIVE)

# What a reporter is told when their report is settled by an action.
OUTCOMES = {
    ActionKind.WARN: "The moderators warned the account.",
    ActionKind.DELETE: "The moderators removed the reported content.",
    ActionKind.SENSITIVE: "The moderators marked the account's media sensitive.",
    ActionKind.LIMIT: "The moderators limited the account.",
    ActionKind.FREEZE: "The moderators froze the account.",
    ActionKind.SUSPEND: "The moderators suspended the account.",
}

_RANK = {Role.USER: 0, Role.MODERATOR: 1, Role.ADMIN: 2}


def is_stateful(action: AccountAction) -> bool:
    """Whether the action holds the person in a state (lifting it reverses that)."""
    if action.kind == ActionKind.SENSITIVE:
        return not action.post_ids
    return action.kind in STATEFUL_KINDS


def _check_may_act(staff: Account | None, target: Person) -> None:
    """Staff act on people below them: a moderator not on staff, nobody on themself."""
    permissions.require_staff(staff)
    if staff is None or not target.is_local or target.account_id is None:
        return
    if target.account_id == staff.pk:
        raise NotAllowed("You cannot act on your own account.")
    target_role = Account.objects.filter(pk=target.account_id).values_list("role", flat=True).first() or Role.USER
    if _RANK.get(Role(target_role), 0) >= _RANK.get(Role(staff.role), 0):
        raise NotAllowed("You cannot act on an account with the same role as yours or a higher one.")


def _account_of(person: Person) -> Account | None:
    """A local person's login (None for a remote person)."""
    if not person.is_local or person.account_id is None:
        return None
    return Account.objects.filter(pk=person.account_id).first()


def rules_snapshot(rule_ids: Iterable[int | str]) -> list[dict[str, str]]:
    """The pod rules with these ids as they read now ([{"id", "text"}], in the pod's order);
    an id that is no rule (or a removed one) is refused."""
    wanted: list[int] = []
    for raw in rule_ids:
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            raise Invalid(f"{raw!r} is not a rule.") from None
    if not wanted:
        return []
    rules = list(PodRule.objects.filter(id__in=set(wanted), deleted_at__isnull=True))
    missing = set(wanted) - {rule.id for rule in rules}
    if missing:
        raise Invalid(f"This pod has no rule {min(missing)}.")
    return [{"id": str(rule.id), "text": rule.text} for rule in rules]


def _ids(raw: Iterable[int | str], what: str) -> list[int]:
    found: list[int] = []
    for value in raw:
        try:
            found.append(int(value))
        except (TypeError, ValueError):
            raise Invalid(f"{value!r} is not a {what} id.") from None
    return list(dict.fromkeys(found))


def _active(target: Person, kind: str) -> Q:
    query = Q(target=target, kind=kind, ended_at__isnull=True)
    if kind == ActionKind.SENSITIVE:
        query &= Q(post_ids=[])
    return query


@transaction.atomic
def take_action(
    staff: Account | None,
    target: Person,
    kind: str,
    *,
    reason: str = "",
    rule_ids: Sequence[int | str] = (),
    report: Report | None = None,
    post_ids: Sequence[int | str] = (),
    comment_ids: Sequence[int | str] = (),
    expires_at: datetime | None = None,
) -> AccountAction:
    """Act on `target` (see the module's docstring); with `report`, the report is resolved
    saying what was done."""
    _check_may_act(staff, target)
    if kind not in ActionKind.values:
        raise Invalid(f"Unknown action {kind!r}: {', '.join(ActionKind.values)}.")
    target = Person.objects.select_for_update().get(id=target.id)
    if target.state == AccountState.DELETED:
        raise Conflict("That account is gone.")
    reason = reason.strip()
    if len(reason) > MAX_REASON_CHARS:
        raise Invalid(f"A reason has at most {MAX_REASON_CHARS} characters.")
    rules = rules_snapshot(rule_ids)
    posts = _ids(post_ids, "post")
    comments = _ids(comment_ids, "comment")
    if kind not in (ActionKind.DELETE, ActionKind.SENSITIVE):
        # The posts and comments the action is about (say, those reported) are kept with it as
        # its grounds, as Mastodon's strikes list them; only the target's own that still exist.
        posts = list(Post.objects.filter(id__in=posts, author=target).values_list("id", flat=True))
        comments = list(Comment.objects.filter(id__in=comments, author=target).values_list("id", flat=True))
    if kind == ActionKind.SENSITIVE and comments:
        raise Invalid("Comments have no media to mark sensitive.")
    if kind == ActionKind.DELETE and not (posts or comments):
        raise Invalid("Name the posts or comments to delete.")
    if expires_at is not None:
        if kind in (ActionKind.WARN, ActionKind.DELETE) or (kind == ActionKind.SENSITIVE and posts):
            raise Invalid("Only a limit, a freeze, a suspension or an account marked sensitive can expire.")
        if expires_at <= timezone.now():
            raise Invalid("The expiry must be in the future.")
    if report is not None:
        if report.target_id != target.id:
            raise Invalid("That report is about someone else.")
        if staff is None:
            raise Invalid("A report is settled by a staff member.")
        if report.state != ReportState.OPEN:
            raise Conflict("That report is closed already; act without it, or reopen it first.")
    on_posts_only = kind == ActionKind.SENSITIVE and bool(posts)
    if kind in STATEFUL_KINDS and not on_posts_only and AccountAction.objects.filter(_active(target, kind)).exists():
        raise Conflict("An action of that kind is in force on this account already; lift it first.")

    account = _account_of(target)
    if kind == ActionKind.DELETE:
        _delete_content(target, posts, comments)
    elif kind == ActionKind.SENSITIVE and posts:
        for post in _own_posts(target, posts):
            social.mark_sensitive_by_staff(post)
    elif kind == ActionKind.SENSITIVE:
        people.set_force_sensitive(staff, target, True, reason, audit=False)
    elif kind == ActionKind.LIMIT:
        people.set_limited(staff, target, True, reason, audit=False)
    elif kind == ActionKind.FREEZE:
        if account is None:
            raise Invalid("Only an account of this pod can be frozen (limit or suspend a remote one).")
        if account.state != AccountState.ACTIVE:
            raise Conflict("Only an active account can be frozen.")
        people.freeze_account(staff, account, reason, audit=False)
    elif kind == ActionKind.SUSPEND:
        if target.state == AccountState.SUSPENDED:
            raise Conflict("That account is suspended already.")
        if account is not None:
            people.suspend_account(staff, account, reason, audit=False)
        elif target.is_local:
            raise Conflict("That account has no login to suspend.")
        else:
            # Local people who followed them or were followed by them lose that, and are told
            # (their server is not: nothing goes to a suspended account).
            sever_and_notify(Person.objects.filter(id=target.id), {"account": target.handle})
            remote_people.suspend_remote_person(target, actor=staff, reason=reason, audit=False)

    action = AccountAction.objects.create(
        target=target, moderator=staff, kind=kind, reason=reason, rules=rules, report=report,
        post_ids=[str(i) for i in posts], comment_ids=[str(i) for i in comments], expires_at=expires_at,
    )
    audit.record(
        f"account_action.{kind}", actor=staff, target=target, reason=reason, action_id=action.id,
        handle=target.handle, expires_at=expires_at.isoformat() if expires_at else None,
    )
    if target.is_local:
        events.emit_on_commit(events.ModerationNotice(
            target.id, "moderation_warning", target.id, {"action_id": action.id}
        ))
    if report is not None and staff is not None:
        resolve_report(staff, report, outcome=OUTCOMES[ActionKind(kind)])
    return action


def _own_posts(target: Person, ids: Sequence[int]) -> list[Post]:
    found = list(Post.objects.filter(id__in=ids, author=target))
    if len(found) != len(ids):
        raise NotFound("One of those posts is not this person's (or is gone).")
    return found


def _delete_content(target: Person, post_ids: Sequence[int], comment_ids: Sequence[int]) -> None:
    posts = _own_posts(target, post_ids)
    comments = list(Comment.objects.filter(id__in=comment_ids, author=target))
    if len(comments) != len(comment_ids):
        raise NotFound("One of those comments is not this person's (or is gone).")
    for post in posts:
        social.remove_post_by_staff(post)
    for comment in comments:
        # A reply deleted with its parent above is gone already.
        if Comment.objects.filter(id=comment.id).exists():
            social.remove_comment_by_staff(comment)


# ---- lifting and lapsing -------------------------------------------------------------------


def _domain_suspended(person: Person) -> bool:
    """A remote person whose domain this pod suspends stays suspended whatever their own actions."""
    if person.is_local:
        return False
    policy = policy_for(person.domain)
    return policy is not None and policy.severity == DomainSeverity.SUSPEND


def _state_after_suspension(target: Person, ending: AccountAction | None = None) -> str:
    """What a local account is once its suspension is lifted: frozen while a freeze is in force."""
    freezes = AccountAction.objects.filter(_active(target, ActionKind.FREEZE))
    if ending is not None:
        freezes = freezes.exclude(id=ending.id)
    return AccountState.FROZEN if freezes.exists() else AccountState.ACTIVE


def _reverse(staff: Account | None, action: AccountAction, why: str) -> None:
    """Take away the state `action` held its target in, unless another action in force holds it
    too.  The people services do not log it: the action's own entry (account_action.<why>,
    with its id) says it."""
    target = Person.objects.select_for_update().get(id=action.target_id)
    if AccountAction.objects.filter(_active(target, action.kind)).exclude(id=action.id).exists():
        return
    reason = f"{action.kind} {why}"
    account = _account_of(target)
    if action.kind == ActionKind.LIMIT:
        # A silenced domain limits its people too (the flag is one): they stay limited.
        if target.is_local or not is_limited_domain(target.domain):
            people.set_limited(staff, target, False, reason, audit=False)
    elif action.kind == ActionKind.SENSITIVE:
        people.set_force_sensitive(staff, target, False, reason, audit=False)
    elif action.kind == ActionKind.FREEZE:
        if account is not None:
            people.unfreeze_account(staff, account, reason, audit=False)
    elif action.kind == ActionKind.SUSPEND:
        if account is not None:
            if target.state == AccountState.DELETED or account.state == AccountState.DELETED:
                raise Conflict("The account's data was purged after its suspension; it cannot come back.")
            if account.state == AccountState.SUSPENDED:
                people.unsuspend_account(
                    staff, account, reason, to_state=_state_after_suspension(target, action), audit=False
                )
        elif not target.is_local and not _domain_suspended(target):
            remote_people.unsuspend_remote_person(target, actor=staff, reason=reason, audit=False)


@transaction.atomic
def lift_action(staff: Account | None, action: AccountAction, *, why: str) -> AccountAction:
    """End an action: a limit, freeze, suspension or account marked sensitive is reversed; a
    warning or a deletion is withdrawn (what was deleted stays deleted)."""
    permissions.require_staff(staff)
    if why not in EndReason.ALL:
        raise Invalid(f"An action ends as {', '.join(EndReason.ALL)}.")
    action = AccountAction.objects.select_for_update().select_related("target").get(id=action.id)
    if staff is not None:
        # The same rank rule as for taking one: not on oneself, not on one's equals or betters.
        _check_may_act(staff, action.target)
    if action.ended_at is not None:
        raise Conflict("That action has ended already.")
    if is_stateful(action):
        _reverse(staff, action, why)
    action.ended_at = timezone.now()
    action.ended_reason = why
    action.save(update_fields=["ended_at", "ended_reason"])
    audit.record(f"account_action.{why}", actor=staff, target=action.target, action_id=action.id, kind=action.kind)
    return action


@transaction.atomic
def lift_kind(staff: Account | None, target: Person, kind: str, *, reason: str = "") -> int:
    """Lift every action of `kind` in force on `target` (Mastodon's enable, unsilence,
    unsuspend, unsensitive) and make sure the state is gone even if no action set it (one set
    before actions were recorded, or by hand).  Returns how many actions ended."""
    _check_may_act(staff, target)
    if kind not in STATEFUL_KINDS:
        raise Invalid("Only a limit, a freeze, a suspension or marking sensitive is lifted.")
    actions = list(AccountAction.objects.filter(_active(target, kind)))
    for action in actions:
        lift_action(staff, action, why=EndReason.LIFTED)
    target = Person.objects.get(id=target.id)
    account = _account_of(target)
    if kind == ActionKind.LIMIT and target.limited and (target.is_local or not is_limited_domain(target.domain)):
        people.set_limited(staff, target, False, reason)
    elif kind == ActionKind.SENSITIVE and target.force_sensitive:
        people.set_force_sensitive(staff, target, False, reason)
    elif kind == ActionKind.FREEZE and account is not None and account.state == AccountState.FROZEN:
        people.unfreeze_account(staff, account, reason)
    elif kind == ActionKind.SUSPEND and target.state == AccountState.SUSPENDED:
        if account is not None:
            people.unsuspend_account(staff, account, reason, to_state=_state_after_suspension(target))
        elif not target.is_local and not _domain_suspended(target):
            remote_people.unsuspend_remote_person(target, actor=staff, reason=reason)
    return len(actions)


def _end_unreversed(action_ids: Sequence[int] | None = None, *, target_id: int | None = None) -> int:
    """End actions whose target is purged or deleted, reversing nothing (nothing is left to
    reverse, and trying forever would hold up the lapse of every other action)."""
    rows = AccountAction.objects.filter(ended_at__isnull=True)
    if action_ids is not None:
        rows = rows.filter(id__in=action_ids)
    if target_id is not None:
        rows = rows.filter(target_id=target_id)
    ended = list(rows.select_for_update().select_related("target"))
    now = timezone.now()
    for action in ended:
        action.ended_at = now
        action.ended_reason = EndReason.GONE
        action.save(update_fields=["ended_at", "ended_reason"])
        audit.record("account_action.gone", target=action.target, action_id=action.id, kind=action.kind)
    return len(ended)


@events.subscribe_in_transaction(events.PersonDeleted)
def _end_actions_of_deleted(event: events.PersonDeleted) -> None:
    """A local account deleted or purged (30 days into a suspension, by its owner, by an admin):
    its actions in force end with it, in the deletion's transaction."""
    _end_unreversed(target_id=event.person_id)


def _target_gone(action: AccountAction) -> bool:
    if action.target.state == AccountState.DELETED:
        return True
    return Account.objects.filter(person=action.target, state=AccountState.DELETED).exists()


def lapse_expired_actions(now: datetime | None = None) -> int:
    """End the actions whose time is up (kith.moderation.jobs runs this every minute and at a
    start).  Each ends in its own transaction, so a crash half-way loses nothing: the next run
    takes the rest, and one another run ended meanwhile is skipped.  One whose target is gone
    ends without reversing anything, so it does not come back in every run."""
    now = now or timezone.now()
    due = list(
        AccountAction.objects.filter(ended_at__isnull=True, expires_at__lte=now)
        .order_by("expires_at", "id").values_list("id", flat=True)[:LAPSE_BATCH]
    )
    ended = 0
    for action_id in due:
        action = AccountAction.objects.filter(id=action_id, ended_at__isnull=True).select_related("target").first()
        if action is None:
            continue  # ended by another run (or staff) since it was found due
        if _target_gone(action):
            with transaction.atomic():
                ended += _end_unreversed([action.id])
            continue
        try:
            lift_action(None, action, why=EndReason.LAPSED)
        except Conflict:
            continue  # ended by another run (or staff) between the read above and lift_action's lock
        ended += 1
    return ended


# ---- appeals -------------------------------------------------------------------------------


def appeal_deadline(action: AccountAction) -> datetime:
    return action.created_at + APPEAL_WINDOW


def can_appeal(person: Person, action: AccountAction, now: datetime | None = None) -> bool:
    """Whether `person` may still appeal `action` (their own, in force, not appealed, in time).
    Reads `action.appeal` (prefetch it when asking for many)."""
    now = now or timezone.now()
    return (
        person.is_local and action.target_id == person.id and action.ended_at is None
        and now <= appeal_deadline(action) and not _has_appeal(action)
    )


def _has_appeal(action: AccountAction) -> bool:
    try:
        action.appeal  # noqa: B018 - the reverse one-to-one raises when there is none
    except Appeal.DoesNotExist:
        return False
    return True


@transaction.atomic
def file_appeal(person: Person, action: AccountAction, text: str) -> Appeal:
    """The local target's one appeal against an action, within APPEAL_WINDOW of it."""
    action = AccountAction.objects.select_for_update().get(id=action.id)
    if not person.is_local or action.target_id != person.id:
        raise NotFound("No such action.")
    if Appeal.objects.filter(action=action).exists():
        raise Conflict("You have appealed this action already.")
    if action.ended_at is not None:
        raise Conflict("This action has ended already.")
    if timezone.now() > appeal_deadline(action):
        raise Conflict(f"An action can be appealed for {APPEAL_WINDOW.days} days; this one is older.")
    text = text.strip()
    if not text:
        raise Invalid("Say why the action should be lifted.")
    if len(text) > MAX_APPEAL_CHARS:
        raise Invalid(f"An appeal has at most {MAX_APPEAL_CHARS} characters.")
    appeal = Appeal.objects.create(action=action, text=text)
    audit.record("appeal.file", actor=person.account, target=action, action_id=action.id)
    return appeal


@transaction.atomic
def decide_appeal(staff: Account, appeal: Appeal, *, approve: bool) -> Appeal:
    """Approve (the action is lifted: a suspension within its 30 days restores the account)
    or reject an appeal; the person is told either way."""
    permissions.require_staff(staff)
    appeal = Appeal.objects.select_for_update().select_related("action__target").get(id=appeal.id)
    if appeal.state != AppealState.PENDING:
        raise Conflict("This appeal has been decided already.")
    action = appeal.action
    _check_may_act(staff, action.target)
    if approve and action.ended_at is None:
        lift_action(staff, action, why=EndReason.APPEAL)
    appeal.state = AppealState.APPROVED if approve else AppealState.REJECTED
    appeal.decided_by = staff
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["state", "decided_by", "decided_at"])
    audit.record(f"appeal.{appeal.state}", actor=staff, target=action, action_id=action.id)
    events.emit_on_commit(events.ModerationNotice(
        action.target_id, "moderation_warning", action.target_id,
        {"action_id": action.id, "appeal": str(appeal.state)},
    ))
    return appeal


# ---- reads ---------------------------------------------------------------------------------


def actions_for(person: Person) -> list[AccountAction]:
    """The actions taken on a person, newest first, with their appeals (one query)."""
    return list(AccountAction.objects.filter(target=person).select_related("appeal", "moderator").order_by("-id"))


def action_for_target(person: Person, action_id: int) -> AccountAction:
    action = AccountAction.objects.filter(id=action_id, target=person).select_related("appeal").first()
    if action is None:
        raise NotFound("No such action.")
    return action


def actions_in_force(person: Person) -> list[AccountAction]:
    """The actions on `person` that still apply (a frozen or suspended person's log-in page names them)."""
    return list(
        AccountAction.objects.filter(target=person, ended_at__isnull=True).select_related("appeal").order_by("-id")
    )


class AccountStatus:
    """The filters of the staff account list (the web page and the admin API)."""

    ACTIVE = "active"
    LIMITED = "limited"
    FROZEN = "frozen"
    SUSPENDED = "suspended"
    SENSITIVE = "sensitive"
    APPEALED = "appealed"  # an appeal waits for a decision

    ALL = (ACTIVE, LIMITED, FROZEN, SUSPENDED, SENSITIVE, APPEALED)


def find_accounts(
    *, query: str = "", origin: str = "", status: str = "", domain: str = "", staff_only: bool = False,
    email: str = "", max_id: int | None = None, since_id: int | None = None, min_id: int | None = None,
    limit: int = 50,
) -> list[Person]:
    """Persons for staff to look at, newest first (oldest first after `min_id`), with their
    logins: `query` matches handles and display names ("name", "name@domain"), `origin` is
    local or remote, `status` one of AccountStatus.  Deleted persons are left out."""
    rows = Person.objects.select_related("account").exclude(state=AccountState.DELETED)
    query = query.strip().lstrip("@")
    if query:
        name, _, host = query.partition("@")
        match = Q(username__icontains=name) | Q(display_name__icontains=query)
        if not host:
            rows = rows.filter(match)
        elif host.lower() == settings.KITH_DOMAIN.lower():
            rows = rows.filter(match, domain="")
        else:
            rows = rows.filter(match, domain__icontains=host)
    if origin == "local":
        rows = rows.filter(domain="")
    elif origin == "remote":
        rows = rows.exclude(domain="")
    if domain:
        rows = rows.filter(domain=domain.strip().lower())
    if email:
        rows = rows.filter(account__email__iexact=email.strip())
    if staff_only:
        rows = rows.filter(account__role__in=[Role.ADMIN, Role.MODERATOR])
    if status == AccountStatus.ACTIVE:
        rows = rows.filter(state=AccountState.ACTIVE).exclude(account__state=AccountState.FROZEN)
    elif status == AccountStatus.LIMITED:
        rows = rows.filter(limited=True)
    elif status == AccountStatus.FROZEN:
        rows = rows.filter(account__state=AccountState.FROZEN)
    elif status == AccountStatus.SUSPENDED:
        rows = rows.filter(state=AccountState.SUSPENDED)
    elif status == AccountStatus.SENSITIVE:
        rows = rows.filter(force_sensitive=True)
    elif status == AccountStatus.APPEALED:
        rows = rows.filter(id__in=AccountAction.objects.filter(appeal__state=AppealState.PENDING).values("target_id"))
    if max_id is not None:
        rows = rows.filter(id__lt=max_id)
    if since_id is not None:
        rows = rows.filter(id__gt=since_id)
    limit = max(1, min(limit, 200))
    if min_id is not None:
        return list(reversed(rows.filter(id__gt=min_id).order_by("id")[:limit]))
    return list(rows.order_by("-id")[:limit])


def pending_appeal_count() -> int:
    return Appeal.objects.filter(state=AppealState.PENDING).count()


def person_for_staff(person_id: int) -> Person:
    person = Person.objects.select_related("account").filter(id=person_id).first()
    if person is None:
        raise NotFound("No such account.")
    return person


def reports_about(person: Person) -> list[Report]:
    """The reports about a person, newest first, with who filed them."""
    return list(Report.objects.filter(target=person).select_related("reporter").order_by("-id"))


def appeal_for_staff(appeal_id: int) -> Appeal:
    appeal = Appeal.objects.select_related("action__target").filter(id=appeal_id).first()
    if appeal is None:
        raise NotFound("No such appeal.")
    return appeal


def action_for_staff(action_id: int) -> AccountAction:
    action = AccountAction.objects.select_related("target").filter(id=action_id).first()
    if action is None:
        raise NotFound("No such action.")
    return action


def active_rules() -> list[PodRule]:
    return list(PodRule.objects.filter(deleted_at__isnull=True))
