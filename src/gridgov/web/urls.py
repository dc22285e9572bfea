"""HTML pages, included at / by the project urls.

No app namespace: settings name LOGIN_URL "login" and the redirects "home".
The other pages are prefixed "web-" so they cannot clash with API route names.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("places/", views.places_index, name="web-places"),
    path("places/<str:code>/", views.place_detail, name="web-place-detail"),
    path("places/<str:code>/children/", views.place_children, name="web-place-children"),
    path("places/<str:code>/panel/", views.place_panel, name="web-place-panel"),
    path("people/", views.people_list, name="web-people"),
    path("people/<int:pk>/", views.person_detail, name="web-person-detail"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="web-person-reveal"),
]
