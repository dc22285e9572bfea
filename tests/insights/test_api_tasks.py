"""Classifier status and retraining (page, API, task, command), text classification API, duplicates API."""

import json

import pytest
from django.core.management import call_command

from gridgov.insights import tasks
from gridgov.insights.models import ModelVersion
from tests.tickets.factories import make_world, ticket_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def small_training(monkeypatch, small_corpus, settings, tmp_path):
    """Retraining on the small corpus, into a temporary data dir."""
    from gridgov.insights import training

    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(training, "BASE_DATA", small_corpus)


def test_classifier_status_page_and_api(world, client, active_model, small_model_dir):
    active_model.metrics = json.loads((small_model_dir / "model.json").read_text())["metrics"]
    active_model.save()
    client.force_login(world.street_staff)
    page = client.get("/insights/classifier/")
    body = page.content.decode()
    assert page.status_code == 200 and "confusion-data" in body and "交通运输" in body
    data = client.get("/api/v1/insights/classifier/").json()
    assert data["backend"] == "model" and data["active"]["version"] == 1
    assert len(data["metrics"]["confusion"]) == 7
    client.force_login(world.gridworker_a)
    assert client.get("/insights/classifier/").status_code == 403
    assert client.get("/api/v1/insights/classifier/").status_code == 403


def test_classify_api(world, client, active_model):
    client.force_login(world.hotline)
    response = client.post(
        "/api/v1/insights/classify/",
        {"text": "拖欠农民工工资半年了"},
        content_type="application/json",
    )
    data = response.json()
    assert response.status_code == 200 and data["backend"] == "model"
    assert data["suggestions"][0]["name"] == "劳动和社会保障" or data["suggestions"][0][
        "full_name"
    ].startswith("劳动和社会保障")
    assert len(data["suggestions"]) == 3
    bad = client.post(
        "/api/v1/insights/classify/", {"text": "hello"}, content_type="application/json"
    )
    assert bad.status_code == 400


def test_retrain_from_the_page_the_task_and_the_command(world, client, small_training, tmp_path):
    client.force_login(world.district_staff)
    response = client.post("/insights/classifier/retrain/")
    assert response.status_code == 302
    first = ModelVersion.objects.get(active=True)
    assert (tmp_path / "models" / "classifier" / "v0001" / "model.json").exists()
    assert first.metrics["macro_f1"] > 0.5 and len(first.fingerprint) == 64
    assert tasks.retrain(force=False) == {
        "skipped": "no new staff corrections since the version in use"
    }
    call_command("classify", "retrain")
    assert ModelVersion.objects.get(active=True).version == 2
    response = client.post("/api/v1/insights/classifier/retrain/")
    assert response.status_code == 201 and response.json()["version"] == 3
    client.force_login(world.gridworker_a)
    assert client.post("/api/v1/insights/classifier/retrain/").status_code == 403


def test_old_versions_are_pruned(world, small_training, tmp_path):
    from gridgov.insights import training

    for _ in range(4):
        training.retrain()
    assert training.prune_versions(keep=2) == 1
    assert ModelVersion.objects.count() == 3
    assert not (tmp_path / "models" / "classifier" / "v0001").exists()


def test_duplicates_api(world, client):
    from gridgov.tickets import intake

    first = intake.create_ticket(
        ticket_data(category=world.corridor.code), actor=world.hotline
    ).ticket
    second = intake.create_ticket(
        ticket_data(category=world.corridor.code, requester_phone="13900001111"),
        actor=world.hotline,
    ).ticket
    client.force_login(world.hotline)
    data = client.get(f"/api/v1/insights/duplicates/{second.code}/").json()
    assert data[0]["code"] == first.code and data[0]["score"] >= 0.45
    client.force_login(world.resident)
    assert client.get(f"/api/v1/insights/duplicates/{second.code}/").status_code in (403, 404)


def test_refresh_task(world):
    result = tasks.refresh_hot_issues()
    assert set(result) == {"hot_issues", "indexed", "corrections"}
