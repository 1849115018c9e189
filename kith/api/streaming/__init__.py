"""The Mastodon streaming API: server-sent events and WebSocket, on its own ASGI server.

Django serves the rest of the pod over WSGI (3-5x faster here than over ASGI); the
long-lived streaming connections live in a small ASGI application (`server.py`) that
`kith serve` runs on an event loop inside the web worker (`embedded.py`) and
`kith streaming` runs in processes of its own (docs/adr/0004).

Where events come from (`source.py`): each streaming process tails durable rows the
pod already writes, from its own cursors: stream rows (home and list streams),
notifications, public posts, and `StreamEvent` rows (edits and deletions, written
by `consumers.py` from domain events and pruned after a few minutes).  Nothing is
held in memory that another process must deliver, so several streaming processes
can run side by side, and a restarted one simply starts from "now".

Every event is rendered for the viewer it goes to with `kith.api.entities`, after
`kith.social.selectors` / `kith.timelines.selectors` (which ask `kith.visibility`)
said the viewer may see it.
"""
