"""The ticket workbench (HTML), included at /tickets/ under the namespace "tickets"."""

from django.urls import path

from . import fieldwork_views, import_views, reference_views, views
from .models import Channel

app_name = "tickets"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("all/", views.ticket_list, name="list"),
    path("all/export.xlsx", views.ticket_export, name="export"),
    path("new/hotline/", views.new_ticket, {"channel": Channel.HOTLINE}, name="new-hotline"),
    path("new/window/", views.new_ticket, {"channel": Channel.WINDOW}, name="new-window"),
    path("new/suggest/", views.intake_suggest, name="suggest"),
    path("new/address/", views.address_check, name="address-check"),
    path("report/", views.report, name="report"),
    path("mine/", views.my_tickets, name="mine"),
    path("mine/<str:code>/", views.my_ticket, name="mine-detail"),
    path("mine/<str:code>/rate/", views.rate_my_ticket, name="mine-rate"),
    path("mine/<str:code>/photos/<int:pk>/", views.my_ticket_photo, name="mine-photo"),
    path("mine/<str:code>/photos/", views.add_my_photos, name="mine-add-photos"),
    path("map/", views.ticket_map, name="map"),
    path("map/data/", views.map_data, name="map-data"),
    path("map/grid/<str:code>/", views.map_grid, name="map-grid"),
    path("kpis/", views.kpi_ranking, name="kpis"),
    path("kpis/weights/", reference_views.kpi_weights, name="kpi-weights"),
    path("routing/", reference_views.routing_rules, name="routing-rules"),
    path("routing/<int:pk>/", reference_views.routing_rules, name="routing-rule"),
    path("time-limits/", reference_views.time_limits, name="time-limits"),
    path("time-limits/<int:pk>/", reference_views.time_limits, name="time-limit"),
    path("knowledge/", reference_views.knowledge_base, name="knowledge"),
    path("knowledge/<int:pk>/", reference_views.knowledge_base, name="knowledge-answer"),
    path("import/", import_views.import_upload, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import-template"),
    path("import/<str:task>/", import_views.import_status, name="import-status"),
    path("patrols/", fieldwork_views.patrol_list, name="patrols"),
    path("patrols/plan/", fieldwork_views.patrol_plan, name="patrol-plan"),
    path("patrols/plan/<int:pk>/", fieldwork_views.patrol_plan, name="patrol-task"),
    path("patrols/<int:pk>/", fieldwork_views.patrol_walk, name="patrol-walk"),
    path("visits/", fieldwork_views.visit_list, name="visits"),
    path("visits/<int:household>/", fieldwork_views.visit_new, name="visit-new"),
    path("<str:code>/", views.ticket_detail, name="detail"),
    path("<str:code>/act/<str:action>/", views.ticket_action, name="act"),
    path("<str:code>/requester/", views.reveal_requester, name="reveal"),
    path("<str:code>/urge/", views.urge, name="urge"),
    path("<str:code>/photos/<int:pk>/", views.ticket_photo, name="photo"),
]
