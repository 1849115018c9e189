"""Server-rendered pages, one module per area.

Every view is thin: it authenticates, validates input with a form from
kith.web.forms, calls one service or selector, and renders or redirects
(POST-redirect-GET).  Reads go through selectors, which ask kith.visibility.
"""
