"""Write paths for a person's own notifications."""

from __future__ import annotations

from kith.people.models import Person
from kith.timelines.models import Notification


def mark_all_read(viewer: Person) -> int:
    return Notification.objects.filter(recipient=viewer, read=False).update(read=True)


def mark_read(viewer: Person, notification_id: int) -> None:
    Notification.objects.filter(recipient=viewer, id=notification_id).update(read=True)


def dismiss(viewer: Person, notification_id: int) -> None:
    Notification.objects.filter(recipient=viewer, id=notification_id).delete()


def clear_all(viewer: Person) -> None:
    Notification.objects.filter(recipient=viewer).delete()
