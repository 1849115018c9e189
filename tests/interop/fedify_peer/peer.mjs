// A small ActivityPub peer built on Fedify, for Kith's interop tests.
// One actor (`peer`) with RSA and Ed25519 keys (new on every start), a shared inbox,
// followers, notes; auto-accepts follows.  /_interop/* lets the test act as the peer
// and read what it received.  Usage: node peer.mjs HOST PORT
import http from "node:http";
import {
  Accept, Announce, Create, Endpoints, Follow, Like, Note, Person, PUBLIC_COLLECTION, Undo,
  createFederation, generateCryptoKeyPair, MemoryKvStore,
} from "@fedify/fedify";
import { configure, getConsoleSink } from "@logtape/logtape";
import { Temporal } from "@js-temporal/polyfill";

const [host, port] = [process.argv[2] ?? "127.0.0.6", Number(process.argv[3] ?? 8086)];
const origin = `http://${host}:${port}`;
await configure({
  sinks: { console: getConsoleSink() },
  loggers: [
    { category: ["logtape", "meta"], sinks: [] },
    { category: "fedify", sinks: ["console"], lowestLevel: process.env.PEER_LOG ?? "warning" },
  ],
});

const keys = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), await generateCryptoKeyPair("Ed25519")];
const received = [];   // every activity that reached an inbox, as JSON-LD (compacted)
const followers = new Map();  // actor id -> {id, inboxId, endpoints}
const notes = new Map();  // note id -> Note

const kv = new MemoryKvStore();
const federation = createFederation({ kv, allowPrivateAddress: true });
federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "peer") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier), preferredUsername: identifier, name: "Fedify Peer",
      inbox: ctx.getInboxUri(identifier), endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier), url: ctx.getActorUri(identifier),
      publicKey: pairs[0].cryptographicKey, assertionMethods: pairs.map((pair) => pair.multikey),
    });
  })
  .mapHandle((ctx, username) => (username === "peer" ? "peer" : null))
  .setKeyPairsDispatcher((ctx, identifier) => (identifier === "peer" ? keys : []));
federation.setFollowersDispatcher("/users/{identifier}/followers", () => ({ items: [...followers.values()] }));
federation.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (ctx, values) =>
  notes.get(ctx.getObjectUri(Note, values).href) ?? null);

async function record(ctx, activity) {
  received.push(await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }));
}
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .withIdempotency("per-inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri("peer").href) return;
    const follower = await follow.getActor(ctx);
    followers.set(follower.id.href, { id: follower.id, inboxId: follower.inboxId, endpoints: follower.endpoints });
    await ctx.sendActivity({ identifier: "peer" }, follower, new Accept({
      id: new URL(`#accepts/${crypto.randomUUID()}`, ctx.getActorUri("peer")),
      actor: ctx.getActorUri("peer"), object: follow,
    }));
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    const inner = await undo.getObject(ctx);
    if (inner instanceof Follow && undo.actorId) followers.delete(undo.actorId.href);
  })
  .on(Accept, record).on(Create, record).on(Like, record).on(Announce, record)
  .onError((ctx, error) => console.error("inbox error", error));

// ---- acting as the peer -----------------------------------------------------------------------
const context = () => federation.createContext(new URL(origin), undefined);
const me = () => context().getActorUri("peer");
const activityId = (kind) => new URL(`/users/peer/${kind}/${crypto.randomUUID()}`, origin);
const lookup = async (uri) => {
  const found = await context().lookupObject(uri);
  if (found == null) throw new Error(`cannot look up ${uri}`);
  return found;
};
const actions = {
  async follow({ actor }) {
    const target = await lookup(actor);
    const follow = new Follow({ id: activityId("follows"), actor: me(), object: target.id });
    await context().sendActivity({ identifier: "peer" }, target, follow);
    return { id: follow.id.href };
  },
  async unfollow({ actor, follow }) {
    const target = await lookup(actor);
    const inner = new Follow({ id: new URL(follow), actor: me(), object: target.id });
    await context().sendActivity({ identifier: "peer" }, target,
      new Undo({ id: activityId("undos"), actor: me(), object: inner }));
    return {};
  },
  async post({ content, inReplyTo, replyTo }) {
    const ctx = context();
    const id = ctx.getObjectUri(Note, { identifier: "peer", id: crypto.randomUUID() });
    const to = replyTo ? await lookup(replyTo) : null;
    const note = new Note({
      id, attribution: me(), content, replyTarget: inReplyTo ? new URL(inReplyTo) : null,
      to: PUBLIC_COLLECTION, ccs: [ctx.getFollowersUri("peer"), ...(to ? [to.id] : [])],
      published: Temporal.Now.instant(), url: id,
    });
    notes.set(id.href, note);
    const create = new Create({ id: new URL(`${id.href}#create`), actor: me(), object: note,
      tos: note.toIds, ccs: note.ccIds, published: note.published });
    if (followers.size) await ctx.sendActivity({ identifier: "peer" }, "followers", create, { preferSharedInbox: true });
    if (to) await ctx.sendActivity({ identifier: "peer" }, to, create);
    return { id: id.href };
  },
  async like({ object, actor }) {
    const like = new Like({ id: activityId("likes"), actor: me(), object: new URL(object) });
    await context().sendActivity({ identifier: "peer" }, await lookup(actor), like);
    return { id: like.id.href };
  },
  async announce({ object, actor }) {
    const ctx = context();
    const announce = new Announce({ id: activityId("announces"), actor: me(), object: new URL(object),
      to: PUBLIC_COLLECTION, ccs: [ctx.getFollowersUri("peer")], published: Temporal.Now.instant() });
    await ctx.sendActivity({ identifier: "peer" }, await lookup(actor), announce);
    return { id: announce.id.href };
  },
};

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const url = new URL(req.url, origin);
  try {
    if (url.pathname === "/_interop/received") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ received, followers: [...followers.keys()] }));
    }
    if (url.pathname === "/_interop/spec") {  // the signature spec Fedify settled on for an origin
      const spec = await kv.get(["_fedify", "httpMessageSignaturesSpec", url.searchParams.get("origin")]);
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ spec: spec ?? null }));
    }
    const action = url.pathname.startsWith("/_interop/") && actions[url.pathname.slice(10)];
    if (action && req.method === "POST") {
      const result = await action(JSON.parse(body.toString() || "{}"));
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(result));
    }
    const request = new Request(url, { method: req.method, headers: req.headers,
      body: ["GET", "HEAD"].includes(req.method) ? undefined : body });
    const response = await federation.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    console.error(error);
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error?.stack ?? error));
  }
});
server.listen(port, host, () => console.log(`fedify peer on ${origin}`));
