"""WSGI entry point.  `kith serve` (the embedded pod) sets KITH_EMBEDDED_WORKER=1 and
KITH_EMBEDDED_STREAMING=host:port: the job worker (threads) and the streaming API (an
event loop in a thread) then run inside this same process, so a small pod is one process."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")

application = get_wsgi_application()

if os.environ.get("KITH_EMBEDDED_WORKER") == "1":
    from django.conf import settings

    from kith.jobs.worker import start_embedded

    start_embedded(settings.KITH_WORKER_THREADS)

if streaming_bind := os.environ.get("KITH_EMBEDDED_STREAMING"):
    from kith import config
    from kith.api.streaming.embedded import start_in_thread

    start_in_thread(*config.parse_bind(streaming_bind))
