"""Errors that services raise for handlers to turn into clear 4xx answers."""


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
