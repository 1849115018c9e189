"""The pod's rules: admins add, edit, reorder and remove them; the sign-up page, the about page
and the client API show them; reports and account actions cite them by id.

Removing a rule keeps its row (`deleted_at`), so that a report or an action citing it still
reads, and its id is never given to another rule: Mastodon clients send rule ids back in
`rule_ids`, and a removed rule's id must not come to mean a different rule.

KITH_POD_RULES, the variable that held the rules before they were edited on the pod, seeds the
table the first time the rules are read while the table has no row at all (no rule was ever
added or removed).  First read rather than a data migration: the pod's schema is often
migrated before the operator sets the variable (and the test harness migrates one template for
every pod), and an operator who sets it, before any admin has edited the rules, must see their
rules.  Once a rule exists (even removed), the table is the truth and the variable is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kith.core.errors import Invalid, NotFound
from kith.moderation import audit
from kith.moderation.models import PodRule
from kith.moderation.permissions import require_admin
from kith.people.models import Account

MAX_RULE_TEXT = PodRule._meta.get_field("text").max_length or 500
MAX_RULE_HINT = 2000
# Enough for any real pod; a bound so that a page of rules stays a page.
MAX_RULES = 100


def active_rules() -> list[PodRule]:
    """The rules in force, in their order (seeded from KITH_POD_RULES on the first read)."""
    rules = list(PodRule.objects.filter(deleted_at=None))
    # Only a table without a single row (removed rules included) is seeded: the cheap read
    # first, so that a pod whose admin removed every rule does not open a write each time.
    if not rules and _setting_lines() and not PodRule.objects.exists() and _seed_from_setting():
        rules = list(PodRule.objects.filter(deleted_at=None))
    return rules


def cite(rule_ids: Sequence[int]) -> list[dict[str, str]]:
    """The rules with these ids as they read now, for a report or an action to keep:
    [{"id": "7", "text": "..."}] in the pod's order.  An unknown or removed rule is refused."""
    wanted = list(dict.fromkeys(rule_ids))
    if not wanted:
        return []
    active_rules()  # a pod whose rules are still only in KITH_POD_RULES gets them now
    found = list(PodRule.objects.filter(id__in=wanted, deleted_at=None))
    missing = set(wanted) - {rule.id for rule in found}
    if missing:
        raise Invalid(f"This pod has no rule {min(missing)}.")
    return [{"id": str(rule.id), "text": rule.text} for rule in found]


def _setting_lines() -> list[str]:
    return [line.strip() for line in getattr(settings, "KITH_POD_RULES", []) if line.strip()]


@transaction.atomic
def _seed_from_setting() -> bool:
    """Write KITH_POD_RULES's lines as rules if the table is still empty; True if it did.

    Two first reads at once must not both seed: SQLite's transactions here are IMMEDIATE (one
    writer at a time, kith/core/sqlite), and on PostgreSQL the table lock below makes the
    second wait and then find the first one's rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{PodRule._meta.db_table}" IN SHARE ROW EXCLUSIVE MODE')
    if PodRule.objects.exists():
        return False
    lines = _setting_lines()[:MAX_RULES]
    for position, line in enumerate(lines):
        PodRule.objects.create(text=line[:MAX_RULE_TEXT], position=position)
    audit.record("rule.seed", reason="from KITH_POD_RULES", count=len(lines))
    return True


def _clean(text: str, hint: str) -> tuple[str, str]:
    text, hint = (text or "").strip(), (hint or "").strip()
    if not text:
        raise Invalid("A rule needs its text.")
    if len(text) > MAX_RULE_TEXT:
        raise Invalid(f"A rule is at most {MAX_RULE_TEXT} characters; put the details in its hint.")
    if len(hint) > MAX_RULE_HINT:
        raise Invalid(f"A rule's hint is at most {MAX_RULE_HINT} characters.")
    if "\x00" in text or "\x00" in hint:
        raise Invalid("A rule cannot contain NUL characters.")
    return text, hint


def _locked_active() -> list[PodRule]:
    return list(PodRule.objects.select_for_update().filter(deleted_at=None).order_by("position", "id"))


def _locked_rule(rule_id: int) -> PodRule:
    rule = PodRule.objects.select_for_update().filter(id=rule_id, deleted_at=None).first()
    if rule is None:
        raise NotFound("This pod has no such rule.")
    return rule


def _renumber(rules: list[PodRule]) -> None:
    for position, rule in enumerate(rules):
        rule.position = position
    PodRule.objects.bulk_update(rules, ["position"])


@transaction.atomic
def add_rule(admin: Account | None, text: str, hint: str = "") -> PodRule:
    """A new rule, last in the order."""
    require_admin(admin)
    text, hint = _clean(text, hint)
    active_rules()  # seed first, so that the operator's rules keep their place before this one
    current = _locked_active()
    if len(current) >= MAX_RULES:
        raise Invalid(f"A pod has at most {MAX_RULES} rules.")
    rule = PodRule.objects.create(text=text, hint=hint, position=current[-1].position + 1 if current else 0)
    audit.record("rule.add", actor=admin, target=rule, text=text, hint=hint)
    return rule


@transaction.atomic
def edit_rule(admin: Account | None, rule_id: int, *, text: str, hint: str = "", reason: str = "") -> PodRule:
    """New wording for a rule.  Reports and actions that cited it keep the words they cited."""
    require_admin(admin)
    text, hint = _clean(text, hint)
    rule = _locked_rule(rule_id)
    if (rule.text, rule.hint) == (text, hint):
        return rule
    before = {"text": rule.text, "hint": rule.hint}
    rule.text, rule.hint = text, hint
    rule.save(update_fields=["text", "hint"])
    audit.record("rule.edit", actor=admin, target=rule, reason=reason, before=before, after={"text": text, "hint": hint})
    return rule


@transaction.atomic
def reorder_rules(admin: Account | None, rule_ids: Sequence[int]) -> list[PodRule]:
    """Put the rules in this order; `rule_ids` names every rule in force, each once."""
    require_admin(admin)
    current = _locked_active()
    by_id = {rule.id: rule for rule in current}
    if len(rule_ids) != len(by_id) or set(rule_ids) != set(by_id):
        raise Invalid("Name every rule of the pod once to reorder them.")
    ordered = [by_id[rule_id] for rule_id in rule_ids]
    if ordered != current:
        _renumber(ordered)
        audit.record("rule.reorder", actor=admin, order=[str(rule.id) for rule in ordered])
    return ordered


@transaction.atomic
def move_rule(admin: Account | None, rule_id: int, offset: int) -> list[PodRule]:
    """Move a rule up (offset -1) or down (+1) among the rules in force (the pages' buttons);
    a move past either end leaves the order as it is."""
    require_admin(admin)
    current = _locked_active()
    index = next((i for i, rule in enumerate(current) if rule.id == rule_id), None)
    if index is None:
        raise NotFound("This pod has no such rule.")
    to = min(max(index + offset, 0), len(current) - 1)
    if to == index:
        return current
    ordered = current[:]
    ordered.insert(to, ordered.pop(index))
    return reorder_rules(admin, [rule.id for rule in ordered])


@transaction.atomic
def remove_rule(admin: Account | None, rule_id: int, reason: str = "") -> PodRule:
    """Take a rule out of force.  Its row stays, so reports and actions citing it still read."""
    require_admin(admin)
    rule = _locked_rule(rule_id)
    rule.deleted_at = timezone.now()
    rule.save(update_fields=["deleted_at"])
    _renumber(_locked_active())
    audit.record("rule.remove", actor=admin, target=rule, reason=reason, text=rule.text)
    return rule
