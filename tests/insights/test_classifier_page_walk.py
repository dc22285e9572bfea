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


@pytest.fixture
def small_training(monkeypatch, small_corpus, settings, tmp_path):
    """Retraining on the small corpus, into a temporary data dir (as in test_api_tasks)."""
    from gridgov.insights import training

    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(training, "BASE_DATA", small_corpus)


def test_retraining_from_the_page_with_nothing_new_trains_nothing(client, small_training):
    """Each click on 立即重新训练 trained the same data again: a copy of the version in use,
    which pushed the oldest version kept for going back out of the five kept."""
    from gridgov.insights.models import TrainingExample
    from gridgov.tickets.models import Category

    world = make_world()
    client.force_login(world.district_staff)
    client.post("/insights/classifier/retrain/")  # the first version
    assert list(ModelVersion.objects.values_list("version", "active")) == [(1, True)]
    answer = client.post("/insights/classifier/retrain/", follow=True)
    assert "自 v1 训练以来没有新的人工纠正" in answer.content.decode()
    assert ModelVersion.objects.count() == 1
    # A staff correction since: something to learn.
    TrainingExample.objects.create(
        text="小区门口公交站台的顶棚坏了，下雨天没法等车",
        category=Category.objects.get(depth=1, name="交通运输"),
    )
    client.post("/insights/classifier/retrain/")
    assert ModelVersion.objects.count() == 2
