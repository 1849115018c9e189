from django.urls import path, re_path

from kith.federation.activitypub import discovery, views

app_name = "activitypub"

urlpatterns = [
    path(".well-known/webfinger", discovery.webfinger, name="webfinger"),
    path(".well-known/host-meta", discovery.host_meta, name="host-meta"),
    path(".well-known/nodeinfo", discovery.nodeinfo_index, name="nodeinfo-index"),
    re_path(r"^nodeinfo/(?P<version>2\.[01])/?$", discovery.nodeinfo, name="nodeinfo"),
    path("actor", views.instance_actor, name="instance-actor"),
    re_path(r"^users/(?P<username>[A-Za-z0-9_]{1,30})/?$", views.actor, name="actor"),
]
