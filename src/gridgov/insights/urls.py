from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("hot/", views.hot_issues, name="hot-issues"),
    path("hot/<int:pk>/", views.hot_issue, name="hot-issue"),
    path("hot/<int:pk>/decide/", views.decide, name="decide"),
    path("classifier/", views.classifier, name="classifier"),
    path("classifier/retrain/", views.retrain, name="retrain"),
    path("classifier/v<int:version>/activate/", views.activate, name="activate"),
    path("duplicates/intake/", views.intake_duplicates, name="intake-duplicates"),
    path("duplicates/<str:code>/", views.ticket_duplicates, name="ticket-duplicates"),
]
