"""The admin speaks Chinese: every model an admin lists, and every field its pages show."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from tests.people.factories import UserFactory

CJK = re.compile(r"[\u4e00-\u9fff]")


def _gridgov_models():
    return [m for m in admin.site._registry if m.__module__.startswith("gridgov.")]


def test_every_admin_model_and_field_has_a_chinese_name():
    english = []
    with translation.override("zh-hans"):
        for model in _gridgov_models():
            meta = model._meta
            for name in (meta.verbose_name, meta.verbose_name_plural):
                if not CJK.search(str(name)):
                    english.append(f"{meta.label}: {name}")
            for field in meta.get_fields():
                # Reverse relations have no verbose_name; the auto "ID" is the same in Chinese.
                if not hasattr(field, "verbose_name") or field.name == "id":
                    continue
                if not CJK.search(str(field.verbose_name)):
                    english.append(f"{meta.label}.{field.name}: {field.verbose_name}")
    assert not english


@pytest.mark.django_db
def test_the_admin_index_lists_the_tickets_models_in_chinese(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for english in ("Summonss", "Patrol tasks", "Whistles", "Ticket counters", "Visits"):
        assert english not in page
    for chinese in ("巡查任务", "吹哨报到", "入户走访", "延期申请", "回访"):
        assert chinese in page
    with translation.override("zh-hans"):
        for model in _gridgov_models():
            assert str(capfirst(model._meta.verbose_name_plural)) in page
