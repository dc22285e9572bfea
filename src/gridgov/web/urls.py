"""HTML pages, included at / by the project urls.

No app namespace: settings name LOGIN_URL "login" and the redirects "home".
The other pages are prefixed "web-" so they cannot clash with API route names.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    access_log,
    check_in,
    department_import,
    password,
    place_import,
    staff_import,
    staff_logins,
    views,
)

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
    path("check-in/", check_in.check_in, name="web-check-in"),
    # A login handed out with an initial password (gridgov people import) is changed here,
    # first of all (web.middleware); the admin's own page is for superusers only.
    path("password/", password.PasswordChangeView.as_view(), name="web-password"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/password_change_done.html"),
        name="web-password-done",
    ),
    path("places/", views.places_index, name="web-places"),
    # Before places/<code>/: "import" is not a place code (docs/places.md).
    path("places/import/", place_import.place_import, name="web-place-import"),
    path(
        "places/import/template.xlsx",
        place_import.place_import_template,
        name="web-place-import-template",
    ),
    path("places/<str:code>/", views.place_detail, name="web-place-detail"),
    path("places/<str:code>/children/", views.place_children, name="web-place-children"),
    path("places/<str:code>/panel/", views.place_panel, name="web-place-panel"),
    path("people/", views.people_list, name="web-people"),
    path("people/import/", staff_import.staff_import, name="web-staff-import"),
    path(
        "people/import/template.xlsx",
        staff_import.staff_import_template,
        name="web-staff-import-template",
    ),
    path(
        "people/departments/import/",
        department_import.department_import_page,
        name="web-department-import",
    ),
    path(
        "people/departments/import/template.xlsx",
        department_import.department_import_template,
        name="web-department-import-template",
    ),
    path("people/access-log/", access_log.access_log, name="web-access-log"),
    path("people/staff/", staff_logins.staff_logins, name="web-staff-logins"),
    path(
        "people/staff/<int:pk>/reset-password/",
        staff_logins.reset_password,
        name="web-staff-password-reset",
    ),
    path("people/<int:pk>/", views.person_detail, name="web-person-detail"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="web-person-reveal"),
]
