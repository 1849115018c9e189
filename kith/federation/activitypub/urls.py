from django.urls import path, re_path

from kith.federation.activitypub import discovery, inbox, views

app_name = "activitypub"

USER = r"^users/(?P<username>[A-Za-z0-9_]{1,30})"

urlpatterns = [
    path(".well-known/webfinger", discovery.webfinger, name="webfinger"),
    path(".well-known/host-meta", discovery.host_meta, name="host-meta"),
    path(".well-known/nodeinfo", discovery.nodeinfo_index, name="nodeinfo-index"),
    re_path(r"^nodeinfo/(?P<version>2\.[01])/?$", discovery.nodeinfo, name="nodeinfo"),
    path("actor", views.instance_actor, name="instance-actor"),
    path("inbox", inbox.inbox, name="shared-inbox"),
    re_path(rf"{USER}/?$", views.actor, name="actor"),
    re_path(rf"{USER}/inbox/?$", inbox.inbox, name="inbox"),
    re_path(rf"{USER}/outbox/?$", views.outbox, name="outbox"),
    re_path(rf"{USER}/followers/?$", views.followers, name="followers"),
    re_path(rf"{USER}/following/?$", views.following, name="following"),
    re_path(rf"{USER}/posts/(?P<post_id>[0-9]{{1,20}})/?$", views.post_object, name="post"),
    re_path(rf"{USER}/comments/(?P<comment_id>[0-9]{{1,20}})/?$", views.comment_object, name="comment"),
    re_path(rf"{USER}/likes/(?P<like_id>[0-9]{{1,20}})/?$", views.like_object, name="like"),
]
