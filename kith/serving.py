"""The web server's supervisor process, kept free of Django.

`kith serve` and `kith web` check the configuration and the database (with the settings
loaded but not the apps: kith.cli.migrations_missing_from_database), then replace
themselves (exec) with this module: granian's main process only watches its
workers, so it does not need the ~60 MB a loaded Django costs.  Each granian worker
imports `kith.wsgi` itself (and, for `kith serve`, runs the job worker and the streaming
API inside it).  Measured on these machines: the embedded pod fell from ~165 MB PSS
(supervisor with Django + worker) to ~127 MB idle (docs/performance.md).

Imports nothing of Kith or Django on purpose.
"""

from __future__ import annotations

import argparse
import sys

WSGI_TARGET = "kith.wsgi:application"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kith.serving")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    Granian(
        target=WSGI_TARGET,
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=args.threads,
        log_level=LogLevels(args.log_level),
        websockets=False,
        respawn_failed_workers=True,
    ).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
