"""Posts and everything attached to them: audiences, comments, likes, media, polls, tags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from kith.core.models import SnowflakeField
from kith.graph.models import Aspect
from kith.people.models import Person

if TYPE_CHECKING:
    from kith.social.selectors import AudienceSummary


class Visibility(models.TextChoices):
    PUBLIC = "public", "public"
    # Public, but kept off the pod's public and tag timelines (Mastodon's "unlisted").
    UNLISTED = "unlisted", "unlisted"
    # Only the people in PostAudience, fixed when the post is published.
    LIMITED = "limited", "limited"
    # LIMITED to the people mentioned; shown as a direct message by clients that have them.
    DIRECT = "direct", "direct"


PUBLIC_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED)
LIMITED_VISIBILITIES = (Visibility.LIMITED, Visibility.DIRECT)


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)  # normalised: lower case, no '#'
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.name}"


class Post(models.Model):
    id = SnowflakeField()
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="posts")
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    source = models.TextField(blank=True)  # Markdown as written
    html = models.TextField(blank=True)  # rendered and sanitised
    content_warning = models.CharField(max_length=500, blank=True)
    # Photos hidden behind a click even without a content warning (Mastodon's "sensitive").
    sensitive = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True)
    reshare_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reshares"
    )
    # Informational: which aspects the author chose (the audience itself is PostAudience).
    aspects = models.ManyToManyField(Aspect, blank=True, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts", through="PostTag")
    mentions = models.ManyToManyField(Person, blank=True, related_name="mentioned_in", through="PostMention")
    created_at = models.DateTimeField(db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    comment_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    reshare_count = models.PositiveIntegerField(default=0)
    # Not columns: what a read puts on the posts of a page for its viewer (kith.social.selectors.decorate,
    # kith.timelines.reading's filters, the audience_summary of kith.web's summarise_audiences tag).
    viewer_liked: bool
    viewer_reshared: bool
    viewer_bookmarked: bool
    viewer_pinned: bool
    viewer_votes: set[int]
    filtered_by: list[str]
    audience_summary: AudienceSummary | None

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="post_author_idx"),
            models.Index(fields=["visibility", "-id"], name="post_visibility_idx"),
            # Covers an author's post count and last post date (account entities) from the index
            # alone: without it they read every post row of every author on a page (performance.md).
            models.Index(fields=["author", "visibility", "created_at"], name="post_author_stats_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reshare_of__isnull=True) | models.Q(visibility="public"),
                name="reshare_is_public",
            ),
        ]

    def __str__(self) -> str:
        return f"post {self.id} by {self.author_id}"

    @property
    def is_limited(self) -> bool:
        return self.visibility in LIMITED_VISIBILITIES


class PostAudience(models.Model):
    """Who may see a limited post: computed once at publish time and never widened."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="audience")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "post"], name="post_audience_unique")]
        indexes = [models.Index(fields=["post", "person"], name="post_audience_post_idx")]


class PostTag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "post"], name="post_tag_unique")]


class PostMention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "person"], name="post_mention_unique")]


class PostRevision(models.Model):
    """An earlier version of an edited post (the history Mastodon clients show)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    source = models.TextField(blank=True)
    html = models.TextField(blank=True)
    content_warning = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    # What the version carried besides text: photo ids in order (those still attached
    # are shown in its history) and its poll's option titles (None: no poll).
    media_ids = models.JSONField(default=list, blank=True)
    poll_options = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class Comment(models.Model):
    id = SnowflakeField()
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="comments")
    source = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    # Not columns: set for the viewer of a page (kith.social.selectors), by kith.web's thread()
    # and by the reader's "thread" filters (kith.timelines.reading).
    viewer_liked: bool
    children: list[Comment]
    filtered_by: list[str]

    class Meta:
        indexes = [models.Index(fields=["post", "id"], name="comment_post_idx")]


class CommentRevision(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    source = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class Like(models.Model):
    id = SnowflakeField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="likes")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="likes")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(post__isnull=False, comment__isnull=True) | models.Q(post__isnull=True, comment__isnull=False)),
                name="like_one_target",
            ),
            models.UniqueConstraint(fields=["person", "post"], condition=models.Q(post__isnull=False), name="like_post_unique"),
            models.UniqueConstraint(fields=["person", "comment"], condition=models.Q(comment__isnull=False), name="like_comment_unique"),
        ]


class MediaState(models.TextChoices):
    PROCESSING = "processing", "processing"
    READY = "ready", "ready"
    FAILED = "failed", "failed"


class Media(models.Model):
    """An uploaded photo.  Served only through kith.web's media view, which asks visibility."""

    id = SnowflakeField()
    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="media")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="media")
    position = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="media/%Y/%m/")
    thumbnail = models.FileField(upload_to="thumbnails/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)  # alt text
    blurhash = models.CharField(max_length=64, blank=True)
    focus_x = models.FloatField(default=0.0)
    focus_y = models.FloatField(default=0.0)
    state = models.CharField(max_length=16, choices=MediaState.choices, default=MediaState.PROCESSING)
    remote_url = models.URLField(max_length=2048, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]


class Poll(models.Model):
    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="poll", primary_key=True)
    multiple = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    voters_count = models.PositiveIntegerField(default=0)


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    votes_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["poll", "position"], name="poll_option_position_unique")]


class PollVote(models.Model):
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="poll_votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["option", "person"], name="poll_vote_unique")]
        indexes = [models.Index(fields=["poll", "person"], name="poll_vote_poll_idx")]


class TagFollow(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="followed_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="tag_follow_unique")]
        indexes = [models.Index(fields=["tag", "person"], name="tag_follow_tag_idx")]


class Bookmark(models.Model):
    """A post a person saved for later: private to them (Mastodon's bookmarks)."""

    id = SnowflakeField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "post"], name="bookmark_unique")]


class Pin(models.Model):
    """One of an author's own posts shown first on their profile."""

    id = SnowflakeField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="pins")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "post"], name="pin_unique")]


class ScheduledPost(models.Model):
    """A post to publish later (Mastodon's scheduled status): the draft as given, published
    by `kith.social.scheduling` when due, exactly once; the row goes when it is published."""

    id = SnowflakeField()
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="scheduled_posts")
    scheduled_at = models.DateTimeField()
    # The draft: text, visibility, aspect_ids, content_warning, sensitive, language,
    # media_ids, poll {options, multiple, expires_in}, in_reply_to_id.
    draft = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["scheduled_at"], name="scheduled_post_due_idx")]


class PublishKey(models.Model):
    """An Idempotency-Key a person sent when posting, and what it made: the same key within
    KEY_LIFETIME returns the same post, comment or scheduled post instead of a second one.
    Stored in the database because several processes may take posting requests."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    scheduled = models.ForeignKey(ScheduledPost, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="publish_key_unique")]
