"""WSGI entry point.  With KITH_EMBEDDED_WORKER=1 (set by `kith serve`) the job
worker runs as threads inside this same process: one process, web and worker."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")

application = get_wsgi_application()

if os.environ.get("KITH_EMBEDDED_WORKER") == "1":
    from django.conf import settings

    from kith.jobs.worker import start_embedded

    start_embedded(settings.KITH_WORKER_THREADS)
