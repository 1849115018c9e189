"""Routes of the server-rendered pages (namespace "web")."""

from django.urls import include, path

from kith.web import media
from kith.web.views import (
    about,
    accounts,
    appeals,
    contacts,
    conversations,
    notifications,
    people,
    posts,
    search,
    settings,
    timelines,
)

app_name = "web"

PROFILE = "@<str:handle>"

urlpatterns = [
    # accounts
    path("signup", accounts.signup, name="signup"),
    path("signup/sent", accounts.signup_sent, name="signup_sent"),
    path("signup/confirm/<str:token>", accounts.signup_confirm, name="signup_confirm"),
    path("login", accounts.LoginView.as_view(), name="login"),
    path("login/appeal/<int:action_id>", appeals.refused_appeal, name="login_appeal"),
    path("logout", accounts.logout_view, name="logout"),
    path("password-reset", accounts.password_reset, name="password_reset"),
    path("password-reset/sent", accounts.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>", accounts.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/done", accounts.password_reset_complete, name="password_reset_complete"),
    # timelines
    path("", timelines.stream, name="stream"),
    path("public", timelines.public, name="public"),
    path("stream/aspects", timelines.aspect_stream, name="aspect_stream"),
    path("tags/<str:name>", timelines.tag, name="tag"),
    path("tags/<str:name>/follow", timelines.tag_follow, {"follow": True}, name="tag_follow"),
    path("tags/<str:name>/unfollow", timelines.tag_follow, {"follow": False}, name="tag_unfollow"),
    path("followed-tags", timelines.followed_tags, name="followed_tags"),
    # posts and comments
    path("posts", posts.create, name="post_create"),
    path("posts/new", posts.new, name="post_new"),
    path("posts/audience", posts.audience_preview, name="audience_preview"),
    path("posts/<int:post_id>", posts.detail, name="post"),
    path("posts/<int:post_id>/edit", posts.edit, name="post_edit"),
    path("posts/<int:post_id>/delete", posts.delete, name="post_delete"),
    path("posts/<int:post_id>/vote", posts.vote, name="post_vote"),
    path("posts/<int:post_id>/likes", posts.likers, name="post_likers"),
    path("posts/<int:post_id>/comments", posts.comment, name="comment_create"),
    *(
        path(f"posts/<int:post_id>/{action}", posts.act, {"action": action}, name=f"post_{action}")
        for action in posts.POST_ACTIONS
    ),
    path("comments/<int:comment_id>/edit", posts.comment_edit, name="comment_edit"),
    *(
        path(f"comments/<int:comment_id>/{action}", posts.comment_act, {"action": action}, name=f"comment_{action}")
        for action in posts.COMMENT_ACTIONS
    ),
    # people
    path(PROFILE, people.profile, name="profile"),
    path(f"{PROFILE}/aspects", people.aspect_membership, name="person_aspects"),
    path(f"{PROFILE}/report", people.report, name="person_report"),
    *(
        path(f"{PROFILE}/{action}", people.relate, {"action": action}, name=f"person_{action}")
        for action in people.ACTIONS
    ),
    path("contacts", contacts.contacts, name="contacts"),
    path("aspects", contacts.aspects, name="aspects"),
    path("aspects/<int:aspect_id>/rename", contacts.aspect_rename, name="aspect_rename"),
    path("aspects/<int:aspect_id>/delete", contacts.aspect_delete, name="aspect_delete"),
    path("aspects/<int:aspect_id>/add", contacts.aspect_member, {"add": True}, name="aspect_add"),
    path("aspects/<int:aspect_id>/remove", contacts.aspect_member, {"add": False}, name="aspect_remove"),
    # notifications, conversations, search
    path("notifications", notifications.notifications, name="notifications"),
    path("notifications/read", notifications.mark_all_read, name="notifications_read"),
    path("conversations", conversations.conversations, name="conversations"),
    path("conversations/new", conversations.new, name="conversation_new"),
    path("conversations/<int:conversation_id>", conversations.conversation, name="conversation"),
    path("search", search.search, name="search"),
    # settings
    path("settings/profile", settings.profile, name="settings_profile"),
    path("settings/password", accounts.password_change, name="password_change"),
    path("settings/delete", accounts.delete_account, name="delete_account"),
    path("settings/export", settings.export, name="export"),
    path("settings/aliases", settings.aliases, name="settings_aliases"),
    path("settings/move", settings.move, name="settings_move"),
    path("settings/moderation", appeals.moderation_settings, name="settings_moderation"),
    path("settings/moderation/<int:action_id>/appeal", appeals.appeal, name="settings_appeal"),
    # photos and profile images, served only through visibility (kith/web/media.py)
    path("media/<int:media_id>/<str:kind>", media.media_file, name="media"),
    path("avatars/<int:person_id>", media.avatar, name="avatar"),
    path("headers/<int:person_id>", media.header, name="header"),
    # about this pod: its rules, who runs it, the servers it limits or suspends
    path("about", about.about, name="about"),
    # the moderation area (staff only; kith/web/views/staff)
    path("moderation/", include("kith.web.views.staff.reports")),
    path("moderation/accounts/", include("kith.web.views.staff.accounts")),
    path("moderation/domains/", include("kith.web.views.staff.domains")),
    path("moderation/pod/", include("kith.web.views.staff.pod")),
]
