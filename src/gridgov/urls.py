from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gridgov.api.tokens import ObtainAuthToken
from gridgov.open311 import api as open311_api
from gridgov.web import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/auth/token/", ObtainAuthToken.as_view(), name="api-token"),
    path("api/v1/", include("gridgov.places.api")),
    path("api/v1/", include("gridgov.people.api")),
    path("api/v1/", include("gridgov.tickets.api")),
    path("api/v1/", include("gridgov.tickets.api_ops")),
    path("api/v1/", include("gridgov.insights.api")),
    path("open311/", open311_api.root, name="open311-home"),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("tickets/", include("gridgov.tickets.urls")),
    path("insights/", include("gridgov.insights.urls")),
    path("", include("gridgov.web.urls")),
]

handler404 = "gridgov.api.errors.not_found"
handler500 = "gridgov.api.errors.server_error"
