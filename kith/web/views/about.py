"""/about: what this pod is (minimal here; the pod-rules work adds who runs it and its rules),
with the public list of moderated servers (web/_domain_blocks_public.html)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "web/about.html")
