"""The streaming API inside the web process: what `kith serve` runs (docs/adr/0004-streaming.md).

The web is served over WSGI (threads); streaming needs an event loop that holds many idle
connections.  Rather than a second server process with its own copy of Django (about
110 MB on these machines), the embedded pod runs granian's embedded ASGI server on an
event loop in a daemon thread of the web worker process, on the streaming port.  The
event loop only moves bytes; database work runs in the hub's own small thread pool, as in
`kith streaming`, which stays the scale-out form (several processes, other machines).
"""

from __future__ import annotations

import asyncio
import logging
import threading

log = logging.getLogger(__name__)

_started: threading.Thread | None = None
_lock = threading.Lock()


def start_in_thread(host: str, port: int) -> threading.Thread:
    """Serve the streaming API on host:port from a daemon thread of this process, once."""
    global _started
    with _lock:
        if _started is None:
            _started = threading.Thread(
                target=_serve, args=(host, port), name="kith-streaming", daemon=True
            )
            _started.start()
        return _started


def _serve(host: str, port: int) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    from kith.api.streaming.server import application

    server = Server(
        target=application,
        address=host,
        port=port,
        interface=Interfaces.ASGI,  # with lifespan: starts and stops the hub
        websockets=True,
        # granian warns that embedding is experimental at every start; errors still show.
        log_level=LogLevels.error,
    )
    log.info("streaming API embedded on %s:%d", host, port)
    try:
        asyncio.run(server.serve())
    except Exception:  # the web keeps serving; the log says why streaming stopped
        log.exception("the embedded streaming server stopped")
