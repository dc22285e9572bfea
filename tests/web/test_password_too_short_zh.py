"""修改密码 with a new password under 8 characters: the refusal read "This password is too
short. It must contain at least 8 characters." on the Chinese page (Django 5.2.19 asks for
a message id its own zh_Hans catalog does not have)."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_a_short_new_password_is_refused_in_chinese(client):
    user = get_user_model().objects.create_user("ly-wang", password="Initial-pw-123")
    client.force_login(user)
    data = {"old_password": "Initial-pw-123", "new_password1": "x7#kq", "new_password2": "x7#kq"}
    html = client.post("/password/", data).content.decode()
    assert "密码长度太短。密码必须包含至少 8 个字符。" in html
    assert "too short" not in html
    user.refresh_from_db()
    assert user.check_password("Initial-pw-123")
