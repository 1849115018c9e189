from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "kith.moderation"
    label = "moderation"

    def ready(self) -> None:
        # Subscribes the audit log to the actions lower packages report (events.Audited).
        # The suspension's after-commit consumer (events.DomainSuspended) subscribes on import;
        # suspensions registers the periodic purge of suspensions not lifted in time.
        # actions ends a deleted account's actions in force (events.PersonDeleted).
        from kith.moderation import (
            actions,  # noqa: F401
            audit,  # noqa: F401
            domains,
            email_blocks,
            suspensions,  # noqa: F401
        )
        from kith.people import hooks

        if email_blocks.refuse_blocked_signup not in hooks.signup_checks:
            hooks.signup_checks.append(email_blocks.refuse_blocked_signup)
        if domains.is_limited_domain not in hooks.new_remote_person_limited:
            hooks.new_remote_person_limited.append(domains.is_limited_domain)
