"""ASGI entry point of the streaming server (`kith streaming`, and `kith serve` beside the web)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")
django.setup()

from kith.api.streaming.server import application  # noqa: E402

__all__ = ["application"]
