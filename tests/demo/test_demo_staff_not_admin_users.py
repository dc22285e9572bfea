"""The demo made its street and district staff admin users (is_staff). The admin is for
superusers: behind the 管理后台 link in their header they found 你没有查看或编辑的权限, and an
admin user's password is reset in the admin only, so the district's 工作人员账号 offered no
重置密码 for the street logins the README says it resets."""

import pytest
from django.contrib.auth import get_user_model

from gridgov.demo import seed

pytestmark = pytest.mark.django_db


def test_street_and_district_staff_have_no_dead_admin_link_and_can_be_reset(client):
    seed.seed_places()
    seed.seed_people()
    seed.seed_logins()
    users = get_user_model().objects
    assert users.get(username="admin").is_staff
    for username in ("district", "street", "ss-qf-wj"):
        user = users.get(username=username)
        assert not user.is_staff
        client.force_login(user)
        assert 'href="/admin/"' not in client.get("/").content.decode()
    client.force_login(users.get(username="district"))
    html = client.get("/people/staff/", {"q": "street"}).content.decode()
    street = users.get(username="street")
    assert f'action="/people/staff/{street.pk}/reset-password/"' in html
