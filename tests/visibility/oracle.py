"""An independent model of who may see what, written from the rules alone.

This module imports nothing from kith.  It restates the rules at the top of
kith/visibility.py (and the delivery rules of fan-out) over plain Python sets,
so the visibility matrix and the property test can ask "what should happen?"
without asking the code under test.

The rules, as written there:
1. Nothing of a person who is not active (suspended, deleted) is shown.
2. Authors always see their own things.
3. A block in either direction hides the author's things from the other.
4. Public and unlisted posts are seen by everyone else, logged in or not.
5. Limited and direct posts are seen only by the people in their audience,
   fixed when the post was published.
6. A reshare is seen only if the reshared post is seen too.
7. Comments and likes are seen by whoever sees their post, minus blocks
   between the viewer and the comment's or like's author.  A comment total
   counts exactly the comments the viewer is shown.
7a. A comment by someone the post's author has blocked is shown to nobody,
   logged in or not.
9-14. Who gets or counts what: photos of open posts are public; post totals count open
   posts; tags are named and listed through public posts only; only public posts are
   reshared; fan-out and delivery go to the audience of a closed post, the followers and
   mentioned people of an open one (see "who gets or counts what" below).
15. A limited person (staff limited them) reaches only the people who already follow them:
   a. their open posts are seen by themselves and their followers only (nobody logged
      out); their closed posts by their audience as before;
   b. their posts are listed nowhere: public timeline, tag pages, search, trends, tag names;
      their photos are never public;
   c. their comments on someone else's post are seen only by themselves, their followers and
      the post's author; on their own post by whoever sees it;
   d. notifications with them as actor are shown (and made) for their followers only, but for
      moderation notices;
   f. fan-out writes their open posts into their followers' streams only.
17. A moderation notice (a warning or action on the reader, their report's outcome, connections
   lost to a suspension, a new report for staff) is shown to its recipient whatever the state,
   blocks or limits of the person it names.

Persons are plain string keys; the anonymous viewer is None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PUBLIC = "public"
UNLISTED = "unlisted"
LIMITED = "limited"
DIRECT = "direct"
# Notifications that moderation writes (the actor is staff, a reporter or the account acted on).
MODERATION_KINDS = frozenset({"moderation_warning", "report_outcome", "severed_relationships", "admin_report"})
OPEN_KINDS = frozenset({PUBLIC, UNLISTED})
CLOSED_KINDS = frozenset({LIMITED, DIRECT})

ACTIVE = "active"


@dataclass
class PostFact:
    key: str
    author: str
    visibility: str
    audience: frozenset[str] = frozenset()  # fixed at publish time; empty for open posts
    tags: frozenset[str] = frozenset()
    mentions: frozenset[str] = frozenset()
    reshare_of: PostFact | None = None
    # Stream owner -> why the post was written into their stream at publish time.
    # A reason set of None means "may or may not still be there" (see World.unfollow).
    delivered: dict[str, set[str] | None] = field(default_factory=dict)


@dataclass
class CommentFact:
    key: str
    author: str
    post: PostFact
    parent: CommentFact | None = None  # the comment it answers, in a thread


@dataclass
class LikeFact:
    key: str
    person: str
    post: PostFact | None = None
    comment: CommentFact | None = None


@dataclass
class NotificationFact:
    key: str
    recipient: str
    actor: str
    post: PostFact | None = None
    comment: CommentFact | None = None
    kind: str = ""


@dataclass
class World:
    """The sharing graph as it stands now."""

    local: set[str] = field(default_factory=set)
    remote: set[str] = field(default_factory=set)
    state: dict[str, str] = field(default_factory=dict)
    follows: set[tuple[str, str]] = field(default_factory=set)  # accepted (follower, followee)
    aspects: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (owner, name) -> members
    blocks: set[tuple[str, str]] = field(default_factory=set)  # (blocker, blocked)
    mutes: set[tuple[str, str]] = field(default_factory=set)  # (muter, muted)
    tag_follows: set[tuple[str, str]] = field(default_factory=set)  # (person, tag)
    limited: set[str] = field(default_factory=set)  # people staff limited (rule 15)
    posts: list[PostFact] = field(default_factory=list)

    # ---- building ------------------------------------------------------------

    def add_person(self, key: str, *, local: bool = True) -> None:
        (self.local if local else self.remote).add(key)
        self.state[key] = ACTIVE

    def is_active(self, person: str) -> bool:
        return self.state.get(person) == ACTIVE

    def limit(self, person: str) -> None:
        self.limited.add(person)

    def reaches(self, person: str, viewer: str | None) -> bool:
        """Rule 15: a limited person reaches themself and their followers only."""
        if person not in self.limited:
            return True
        return viewer is not None and (viewer == person or (viewer, person) in self.follows)

    def blocked_either_way(self, a: str | None, b: str | None) -> bool:
        if a is None or b is None or a == b:
            return False
        return (a, b) in self.blocks or (b, a) in self.blocks

    def can_relate(self, actor: str, target: str) -> bool:
        """Follow / share / write: an active actor, not yourself, an active target, no block either way."""
        return (
            self.is_active(actor)
            and actor != target
            and self.is_active(target)
            and not self.blocked_either_way(actor, target)
        )

    def follow(self, follower: str, followee: str) -> bool:
        if not self.can_relate(follower, followee):
            return False
        self.follows.add((follower, followee))
        return True

    def unfollow(self, follower: str, followee: str) -> None:
        """Unfollowing takes the followee's posts that came by following out of the stream.

        A stream row keeps one reason; when a post reached the stream for
        several reasons we cannot know which was kept, so its presence becomes
        unknown (None) rather than guessed.
        """
        if (follower, followee) not in self.follows:
            return
        self.follows.discard((follower, followee))
        for post in self.posts:
            if post.author != followee or follower not in post.delivered:
                continue
            reasons = post.delivered[follower]
            if reasons is None or "following" not in reasons:
                continue
            if reasons == {"following"}:
                del post.delivered[follower]
            else:
                post.delivered[follower] = None

    def add_to_aspect(self, owner: str, name: str, member: str) -> bool:
        """Sharing with someone also follows them (diaspora*'s contacts)."""
        if not self.can_relate(owner, member):
            return False
        self.aspects.setdefault((owner, name), set()).add(member)
        self.follows.add((owner, member))
        return True

    def remove_from_aspect(self, owner: str, name: str, member: str) -> None:
        self.aspects.get((owner, name), set()).discard(member)
        if not any(member in members for (o, _), members in self.aspects.items() if o == owner):
            self.unfollow(owner, member)

    def block(self, blocker: str, blocked: str) -> bool:
        if blocker == blocked:
            return False
        self.blocks.add((blocker, blocked))
        self.follows.discard((blocker, blocked))
        self.follows.discard((blocked, blocker))
        for (owner, _), members in self.aspects.items():
            if owner == blocker:
                members.discard(blocked)
        return True

    def unblock(self, blocker: str, blocked: str) -> None:
        self.blocks.discard((blocker, blocked))

    def mute(self, muter: str, muted: str) -> bool:
        if muter == muted:
            return False
        self.mutes.add((muter, muted))
        return True

    # ---- publishing ------------------------------------------------------------

    def audience_for(
        self,
        author: str,
        visibility: str,
        *,
        aspect_names: tuple[str, ...] = (),
        all_aspects: bool = False,
        persons: tuple[str, ...] = (),
        mentions: tuple[str, ...] = (),
    ) -> frozenset[str]:
        """Who a post goes to, decided from the graph as it is when it is published."""
        audience: set[str] = set()
        if visibility == LIMITED:
            names = [n for (o, n) in self.aspects if o == author] if all_aspects else list(aspect_names)
            for name in names:
                audience |= self.aspects.get((author, name), set())
            audience |= set(persons)
            if all_aspects:
                audience |= {f for (f, e) in self.follows if e == author}
        elif visibility == DIRECT:
            audience = set(persons) | {m for m in mentions if self.is_active(m)}
        audience.discard(author)
        return frozenset(audience)

    def publish(
        self,
        key: str,
        author: str,
        visibility: str,
        *,
        audience: frozenset[str] = frozenset(),
        tags: frozenset[str] = frozenset(),
        mentions: frozenset[str] = frozenset(),
        reshare_of: PostFact | None = None,
    ) -> PostFact:
        post = PostFact(
            key=key,
            author=author,
            visibility=visibility,
            audience=audience if visibility in CLOSED_KINDS else frozenset(),
            tags=tags,
            mentions=frozenset(m for m in mentions if self.is_active(m)),
            reshare_of=reshare_of,
        )
        post.delivered = self._delivery(post)
        self.posts.append(post)
        return post

    def _delivery(self, post: PostFact) -> dict[str, set[str] | None]:
        """Whose streams get the post now (fan-out on write), and why."""
        if post.visibility == DIRECT:
            return {}  # a message: read in its conversation, never in a stream
        delivered: dict[str, set[str] | None] = {post.author: {"own"}}
        excluded = self._kept_away_from(post.author)
        if post.reshare_of is not None:
            excluded |= self._kept_away_from(post.reshare_of.author)
        candidates: list[tuple[str, str]] = []
        if post.visibility in CLOSED_KINDS:
            candidates += [(p, "audience") for p in post.audience]
        else:
            candidates += [(f, "following") for (f, e) in self.follows if e == post.author]
        if post.visibility in OPEN_KINDS and post.author not in self.limited:  # rule 15f
            candidates += [(m, "mention") for m in post.mentions]
            if post.visibility == PUBLIC:
                candidates += [(p, "tag") for (p, t) in self.tag_follows if t in post.tags]
        for person, reason in candidates:
            if person in excluded or person not in self.local or not self.is_active(person):
                continue
            reasons = delivered.setdefault(person, set())
            if reasons is not None and "own" not in reasons:
                reasons.add(reason)
        return delivered

    def _kept_away_from(self, author: str) -> set[str]:
        """Muters of the author and either side of a block with them."""
        away = {m for (m, muted) in self.mutes if muted == author}
        away |= {a for (a, b) in self.blocks if b == author}
        away |= {b for (a, b) in self.blocks if a == author}
        return away

    # ---- the answers ------------------------------------------------------------

    def sees_post(self, viewer: str | None, post: PostFact) -> bool:
        if not self._sees_one(viewer, post):
            return False
        return post.reshare_of is None or self._sees_one(viewer, post.reshare_of)

    def _sees_one(self, viewer: str | None, post: PostFact) -> bool:
        if not self.is_active(post.author):  # rule 1
            return False
        if viewer == post.author:  # rule 2
            return True
        if self.blocked_either_way(viewer, post.author):  # rule 3
            return False
        if post.visibility in OPEN_KINDS:  # rule 4, and 15a
            return self.reaches(post.author, viewer)
        return viewer is not None and viewer in post.audience  # rule 5

    def sees_person(self, viewer: str | None, person: str) -> bool:
        """Whether things a person did (a comment, a like) are shown to the viewer."""
        if viewer == person:
            return True
        return self.is_active(person) and not self.blocked_either_way(viewer, person)

    def sees_comment(self, viewer: str | None, comment: CommentFact) -> bool:
        if (comment.post.author, comment.author) in self.blocks:  # rule 7a
            return False
        own_thread = comment.author == comment.post.author or viewer == comment.post.author
        if not own_thread and not self.reaches(comment.author, viewer):  # rule 15c
            return False
        return self.sees_person(viewer, comment.author) and self.sees_post(viewer, comment.post)

    def comment_total(self, viewer: str | None, post: PostFact, comments: list[CommentFact]) -> int:
        """The number under a post: the comments on it (out of `comments`) the viewer is shown."""
        return sum(1 for comment in comments if comment.post is post and self.sees_comment(viewer, comment))

    def reply_total(self, viewer: str | None, parent: CommentFact, comments: list[CommentFact]) -> int:
        """A comment's number of replies: the direct answers to it the viewer is shown."""
        return sum(1 for comment in comments if comment.parent is parent and self.sees_comment(viewer, comment))

    def sees_like(self, viewer: str | None, like: LikeFact) -> bool:
        if not self.sees_person(viewer, like.person):
            return False
        if like.comment is not None:
            return self.sees_comment(viewer, like.comment)
        return like.post is not None and self.sees_post(viewer, like.post)

    def sees_notification(self, viewer: str | None, notification: NotificationFact) -> bool:
        if viewer is None or notification.recipient != viewer:
            return False
        if notification.kind in MODERATION_KINDS:
            return True  # rule 17
        if not self.is_active(notification.actor) or self.blocked_either_way(viewer, notification.actor):
            return False
        if not self.reaches(notification.actor, viewer):
            return False  # rule 15d
        if notification.post is not None and not self.sees_post(viewer, notification.post):
            return False
        return notification.comment is None or self.sees_comment(viewer, notification.comment)

    def in_stream(self, viewer: str, post: PostFact) -> bool | None:
        """True / False, or None when unfollowing made the row's presence unknowable."""
        if not self.sees_post(viewer, post) or viewer not in post.delivered:
            return False
        authors = {post.author} | ({post.reshare_of.author} if post.reshare_of else set())
        if any((viewer, author) in self.mutes for author in authors):
            return False  # muting hides what reached the stream before the mute as well
        return None if post.delivered[viewer] is None else True

    def on_profile(self, viewer: str | None, post: PostFact) -> bool:
        """A profile lists the person's posts the viewer sees, but no messages (direct posts are
        read in their conversation)."""
        return post.visibility != DIRECT and self.sees_post(viewer, post)

    def on_tag_page(self, viewer: str | None, post: PostFact, tag: str) -> bool:
        """Tag pages list public posts only (as in diaspora* and Mastodon), never a limited author's."""
        return (
            post.visibility == PUBLIC
            and tag in post.tags
            and post.author not in self.limited
            and self.sees_post(viewer, post)
        )

    def publicly_listed(self, post: PostFact) -> bool:
        """Public listings (public timelines, trends, public streams, outboxes): original public
        posts, none of a limited author."""
        return post.visibility == PUBLIC and post.reshare_of is None and post.author not in self.limited

    def in_search(self, viewer: str | None, post: PostFact) -> bool:
        """Full-text search finds original posts the viewer sees, never a limited author's."""
        return post.reshare_of is None and post.author not in self.limited and self.sees_post(viewer, post)

    def on_public_timeline(self, viewer: str | None, post: PostFact) -> bool:
        """The pod's timeline: local, public, original posts."""
        return self.publicly_listed(post) and post.author in self.local and self.sees_post(viewer, post)

    # ---- who gets or counts what (rules 9-14) ------------------------------------

    def photo_is_public(self, post: PostFact) -> bool:
        """A photo of a public or unlisted post has stable URLs that shared caches may keep, unless
        its author is limited (their followers alone may see it)."""
        return post.visibility in OPEN_KINDS and post.author not in self.limited

    def post_total(self, person: str) -> int:
        """The post total every viewer sees: the person's public and unlisted posts (reshares too)."""
        return sum(1 for post in self.posts if post.author == person and post.visibility in OPEN_KINDS)

    def follower_total(self, person: str) -> int:
        return sum(1 for (_, followee) in self.follows if followee == person)

    def tag_is_named(self, tag: str) -> bool:
        """Search and trends name a tag only through a public post of an active person."""
        return any(
            post.visibility == PUBLIC
            and tag in post.tags
            and self.is_active(post.author)
            and post.author not in self.limited
            for post in self.posts
        )

    def may_reshare(self, viewer: str | None, post: PostFact) -> bool:
        """Someone else's public post the viewer sees (a reshare stands for its original)."""
        root = post.reshare_of or post
        return viewer is not None and root.visibility == PUBLIC and root.author != viewer and self.sees_post(viewer, root)

    def gets_stream_row(self, person: str, post: PostFact) -> bool:
        """Whether fan-out, run now, would write the post into the person's stream (besides its
        author's own row)."""
        return person != post.author and person in self._delivery(post)

    def delivered_to(self, person: str, post: PostFact) -> bool:
        """Whether the post is sent to the (remote) person: an open post to the author's followers
        and the people it mentions, a closed one to its fixed audience only."""
        if post.visibility in OPEN_KINDS:
            return (person, post.author) in self.follows or person in post.mentions
        return person in post.audience

    def leaks(self, viewer: str | None, post: PostFact) -> bool:
        """The one thing that must never happen: a closed post shown outside its fixed audience."""
        root = post.reshare_of or post
        if root.visibility not in CLOSED_KINDS or viewer == root.author:
            return False
        return viewer is None or viewer not in root.audience
