from django.apps import AppConfig


class ActivityPubConfig(AppConfig):
    name = "kith.federation.activitypub"
    label = "activitypub"

    def ready(self) -> None:
        """Plug this adapter into the protocol-neutral core and the domain's ports.

        Imported here, not at module level: an app module may not import models before the app
        registry is ready.  Importing `outbound` subscribes its consumers to domain events
        (the twin of kith.timelines.consumers)."""
        from kith.federation import delivery
        from kith.federation.activitypub import lookup, outbound, sender, uris  # noqa: F401 - outbound: see above
        from kith.federation.activitypub.models import RemoteActor, RemoteObject
        from kith.social.lookup import register_remote_directory
        from kith.social.wire_ids import RemoteIdTable, WireIds, register_wire_ids

        delivery.register_sender(sender.PROTOCOL, sender.send_activitypub, prepare=sender.prepare_activitypub)
        register_remote_directory(lookup.DIRECTORY)
        register_wire_ids(
            WireIds(
                person=uris.actor,
                post=uris.post,
                comment=uris.comment,
                remote_people=RemoteIdTable(RemoteActor, key="person_id"),
                remote_posts=RemoteIdTable(RemoteObject, key="post_id"),
                remote_comments=RemoteIdTable(RemoteObject, key="comment_id"),
            )
        )
