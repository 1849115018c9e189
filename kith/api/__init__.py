"""The Mastodon-compatible client API: a thin adapter from Mastodon's REST shapes to the domain.

Views here parse parameters, call `kith.social` / `kith.graph` / ... services and
selectors, and render Mastodon entities (`entities.py`).  Who may see what is
never decided here: every read goes through the selectors, which ask
`kith.visibility`.
"""
