"""Protocol-neutral federation state.  Protocol-specific tables live in each adapter."""

from __future__ import annotations

from django.db import models


class InstanceKey(models.Model):
    """The pod's own key pair, for the instance actor that signs fetches made for nobody in particular."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    public_key_pem = models.TextField()
    private_key_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
