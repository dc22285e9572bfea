"""The three templates of README's day one (places, departments, staff) fit together: a
street office trying them as they are, in that order, gets a working example street."""

import io

import pytest
from django.contrib.auth import get_user_model

from gridgov.people.models import Department, RoleAssignment

pytestmark = pytest.mark.django_db

PAGES = ["/places/import/", "/people/departments/import/", "/people/import/"]


def test_the_templates_import_one_after_another_as_they_are(client):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x"))
    for page in PAGES:
        template = io.BytesIO(client.get(f"{page}template.xlsx").content)
        template.name = "template.xlsx"
        html = client.post(page, {"file": template}).content.decode()
        assert "<h2>已导入</h2>" in html, (page, html[html.find("<main") :][:3000])
    handler = RoleAssignment.objects.get(user__username="cg-zhao")
    assert handler.department == Department.objects.get(code="HX-CG")
