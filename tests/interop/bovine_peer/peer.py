"""A bovine-herd server with one user, for Kith's interop tests (runs in bovine's own venv).

Usage: python peer.py HOST PORT DATA_DIR.  On start it registers the user `cow` with a
Moo-Auth-1 key; the test then acts as `cow` through bovine's real client-to-server API
(BovineClient: POST to the outbox, GET the inbox), reached through /_interop/*:

- GET  /_interop/me      -> {"id", "handle"} of the actor
- POST /_interop/outbox  -> send the JSON body as an activity; {"location": ...}
- GET  /_interop/inbox   -> {"items": [...]}: every activity in cow's inbox, newest first
- GET  /_interop/get?id=[&items=1] -> an object (or a collection's item ids), fetched as cow
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import sys
from pathlib import Path

HOST, PORT, DATA_DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.environ.setdefault("BUTCHER_ALLOW_HTTP", "1")  # plain http acct: lookups on loopback


def _seed_jsonld_cache() -> None:
    """bovine keeps JSON-LD contexts in ./bovine_jsonld_cache.sqlite and fetches missing
    ones from the web (offline here: it would cache an empty context instead).  Seed it
    with the security, DID and multikey contexts (as Fedify preloads them)."""
    os.chdir(DATA_DIR)
    contexts = json.loads((Path(__file__).with_name("jsonld_contexts.json")).read_text())
    with sqlite3.connect("bovine_jsonld_cache.sqlite") as db:
        db.execute("CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)")
        db.executemany("INSERT OR REPLACE INTO jsonld VALUES (?, ?)",
                       [(url, json.dumps(context)) for url, context in contexts.items()])


_seed_jsonld_cache()

from bovine import BovineClient  # noqa: E402
from bovine.crypto import generate_ed25519_private_key, private_key_to_did_key  # noqa: E402
from bovine_herd import BovineHerd  # noqa: E402
from bovine_store import BovineAdminStore  # noqa: E402
from hypercorn.asyncio import serve  # noqa: E402
from hypercorn.config import Config  # noqa: E402
from quart import Quart, request  # noqa: E402

ORIGIN = f"http://{HOST}:{PORT}"
USERNAME = "cow"

logging.basicConfig(level=os.environ.get("PEER_LOG", "WARNING"))
app = Quart(__name__)
BovineHerd(app, db_url=f"sqlite://{DATA_DIR}/bovine.sqlite3")
state: dict = {}


@app.before_serving
async def register_user() -> None:
    """After bovine has made its schema: the user and a Moo-Auth-1 key to act as it."""
    store = BovineAdminStore(domain=ORIGIN)
    bovine_name = await store.register(USERNAME)
    secret = generate_ed25519_private_key()
    await store.add_identity_string_to_actor(bovine_name, "interop", private_key_to_did_key(secret))
    state["secret"] = secret


@app.after_serving
async def close_client() -> None:
    if "client" in state:
        await state["client"].session.close()


async def _client() -> BovineClient:
    if "client" not in state:
        client = BovineClient(domain=ORIGIN, secret=state["secret"])
        await client.init()
        state["client"] = client
    return state["client"]


@app.get("/_interop/me")
async def me():
    client = await _client()
    return {"id": client.information["id"], "handle": f"{USERNAME}@{HOST}:{PORT}", "actor": client.information}


@app.post("/_interop/outbox")
async def outbox():
    client = await _client()
    response = await client.send_to_outbox(await request.get_json())
    return {"status": response.status, "location": response.headers.get("location")}


async def _items(client: BovineClient, collection_id: str, resolve: bool = True) -> list:
    collection = await client.get(collection_id)
    page = collection.get("first")
    items = list(collection.get("orderedItems", collection.get("items", [])))
    while page:
        page = await client.get(page) if isinstance(page, str) else page
        found = page.get("orderedItems", page.get("items", []))
        items += found
        page = page.get("next") if found else None
    if not resolve:
        return items
    resolved = []
    for item in items:
        # From bovine's own store (what it received), not refetched from the sender.
        resolved.append(await client.proxy(item) if isinstance(item, str) else item)
    return resolved


@app.get("/_interop/inbox")
async def inbox():
    client = await _client()
    return {"items": await _items(client, client.information["inbox"])}


@app.get("/_interop/get")
async def get():
    client = await _client()
    target = request.args["id"]
    if request.args.get("items"):
        return {"items": await _items(client, target, resolve=False)}
    return await client.get(target)


if __name__ == "__main__":
    config = Config()
    config.bind = [f"{HOST}:{PORT}"]
    config.accesslog = None
    asyncio.run(serve(app, config))
