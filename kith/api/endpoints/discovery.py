"""(being written: see docs/status.md)"""

from __future__ import annotations

from kith.api.routing import ApiRouter

router = ApiRouter(tags=["discovery"])
