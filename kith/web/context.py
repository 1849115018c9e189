from django.conf import settings
from django.http import HttpRequest


def pod(request: HttpRequest) -> dict:
    return {"pod_domain": settings.KITH_DOMAIN, "registrations_open": settings.KITH_REGISTRATIONS_OPEN}
