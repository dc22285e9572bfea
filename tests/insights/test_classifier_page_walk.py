"""Found walking the classifier page as district staff: a version retrained from the page
was noted "由 district 发起", a login, beside "区级工作人员" in the changes below it."""

import pytest

from gridgov.insights.models import ModelVersion
from tests.tickets.factories import make_world

pytestmark = pytest.mark.django_db


def test_a_version_trained_from_the_page_names_who_asked_as_the_page_does(
    client, active_model, small_model_dir
):
    world = make_world()
    world.district_staff.first_name = "区级工作人员"
    world.district_staff.save()
    for version, note in ((2, "by district"), (3, "by someone-gone"), (4, "scheduled")):
        ModelVersion.objects.create(
            version=version, path=str(small_model_dir), fingerprint="t", note=note, metrics={}
        )
    client.force_login(world.street_staff)
    page = client.get("/insights/classifier/").content.decode()
    assert "由 区级工作人员 发起" in page and "由 district 发起" not in page
    # A login no longer known is still shown as it was stored; the other notes as before.
    assert "由 someone-gone 发起" in page and "定时训练" in page
