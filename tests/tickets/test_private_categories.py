"""Category.private: the taxonomy's matters of one person or family, marked on a new
database (load_taxonomy) and on one seeded before (migration 0009, categories.mark_private)."""

import pytest

from gridgov.tickets import categories
from gridgov.tickets.models import Category

pytestmark = pytest.mark.django_db


def _private_names():
    return set(Category.objects.filter(private=True, depth__lte=2).values_list("name", flat=True))


def test_the_taxonomys_private_matters_and_everything_under_them_are_marked():
    assert {"人口计生", "医患纠纷", "社会救助", "诉讼", "纪检监察", "劳动关系"} <= _private_names()
    for name in ("违法生育", "城镇低保", "民事诉讼", "贪污"):
        assert Category.objects.get(name=name).private
    for name in ("路灯损坏", "房屋租赁", "噪音污染", "楼道堆物"):
        assert not Category.objects.filter(name=name, private=True).exists()


def test_a_database_seeded_before_gets_them_marked_and_staff_choices_stay():
    Category.objects.update(private=False)
    extra = Category.objects.get(name="房屋租赁")
    marked = categories.mark_private(Category, list(Category.objects.all()))
    assert marked == Category.objects.filter(private=True).count() > 100
    assert not Category.objects.get(pk=extra.pk).private
    Category.objects.filter(pk=extra.pk).update(private=True)  # a street's own choice
    assert categories.mark_private(Category, list(Category.objects.all())) == 0
    assert Category.objects.get(pk=extra.pk).private
