"""Errors that services raise for handlers to turn into clear answers (4xx; 507 when the disk is full)."""


class DomainError(Exception):
    """A request the domain refuses; the message is safe to show to the person who asked."""

    status = 400


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422


class StorageFull(DomainError):
    """The pod's disk had no room for what was sent; nothing of it was kept.

    507 Insufficient Storage (RFC 4918): the server, not the request, is at fault, and it
    says exactly that.  Mastodon answers a failing storage backend with 503 and leaves a
    full local disk to its generic 500; apps show the `error` text of any of them, so the
    precise status costs clients nothing and tells the admin's logs what happened."""

    status = 507
