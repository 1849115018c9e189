"""The machine's RSA-2048 signing rate, as the delivery engine signs: httpsig.sign, one thread.

    python -m bench.signrate PRIVATE_KEY_PEM_FILE [SECONDS]

Prints JSON: signatures, seconds, per_second.  Run in its own process so the figure is
one core's rate (signing holds the GIL: one delivery process cannot sign faster).
"""

from __future__ import annotations

import json
import sys
import time

from kith.federation import httpsig


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        pem = handle.read()
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    body = b'{"type": "Create", "object": {"content": "' + b"x" * 600 + b'"}}'
    headers = {"content-type": "application/activity+json"}
    httpsig.sign("POST", "http://127.0.1.1:9/inbox", headers, body, key_id="k", private_key_pem=pem)
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        httpsig.sign("POST", f"http://127.0.1.1:9/users/u{count}/inbox", headers, body, key_id="k",
                     private_key_pem=pem)
        count += 1
    print(json.dumps({"signatures": count, "seconds": round(elapsed, 3), "per_second": round(count / elapsed, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
