"""Included at /open311/v2/: the GeoReport v2 endpoints, and the staff pages for API keys."""

from django.urls import path, re_path

from . import api, views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z]+)"

urlpatterns = [
    # The bare root: a redirect to discovery.xml (discovery.json when asked for JSON).
    path("", api.root, name="root"),
    # Staff pages (HTML): issue, list and revoke keys; each key's request log.
    path("keys/", views.key_list, name="keys"),
    path("keys/<int:pk>/", views.key_detail, name="key"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key-revoke"),
    # GeoReport v2.
    re_path(rf"^discovery{FMT}$", api.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", api.service_list, name="services"),
    re_path(rf"^services/(?P<code>[^/]+?){FMT}$", api.service_definition, name="service"),
    re_path(rf"^requests{FMT}$", api.requests_, name="requests"),
    re_path(rf"^requests/(?P<service_request_id>[^/]+?){FMT}$", api.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[^/]+?){FMT}$", api.token, name="token"),
    re_path(r"^(?P<path>.*)$", api.not_found, name="not-found"),
]
