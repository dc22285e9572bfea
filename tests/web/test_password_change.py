"""A login handed out with an initial password (gridgov people import) can change it from
every page: the header links to /password/, which answers in Chinese."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(client):
    user = get_user_model().objects.create_user("ly-wang", password="Initial-pw-123")
    client.force_login(user)
    return user


def test_the_header_links_to_the_password_page(client, worker):
    html = client.get("/").content.decode()
    assert '<a class="user-name" href="/password/"' in html
    assert '<li><a href="/password/">修改密码</a></li>' in html  # 快捷入口 on the dashboard


def test_a_grid_worker_changes_the_initial_password(client, worker):
    page = client.get("/password/")
    assert page.status_code == 200
    assert "修改密码" in page.content.decode() and "旧密码" in page.content.decode()
    done = client.post(
        "/password/",
        {
            "old_password": "Initial-pw-123",
            "new_password1": "liu-yin-li-2026",
            "new_password2": "liu-yin-li-2026",
        },
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/password/done/"
    assert "密码已修改" in done.content.decode()
    worker.refresh_from_db()
    assert worker.check_password("liu-yin-li-2026")


def test_a_wrong_old_password_is_refused_in_chinese(client, worker):
    page = client.post(
        "/password/",
        {
            "old_password": "nope",
            "new_password1": "liu-yin-li-2026",
            "new_password2": "liu-yin-li-2026",
        },
    )
    assert page.status_code == 200 and "旧密码不正确" in page.content.decode()
    worker.refresh_from_db()
    assert worker.check_password("Initial-pw-123")


def test_signed_out_the_page_asks_to_sign_in(client):
    response = client.get("/password/")
    assert response.status_code == 302 and response.url.startswith("/login/")
