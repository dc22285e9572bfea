"""Who put which classifier in use and who decided what on a hot issue: kept as rows,
one version in use even when two staff switch at the same moment."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gridgov.insights import hotissues, services, training
from gridgov.insights.models import HotIssue, HotIssueDecision, ModelActivation, ModelVersion
from gridgov.tickets import intake
from tests.tickets.factories import make_world, ticket_data


def _versions(tmp_path, active=1):
    rows = []
    for number in (1, 2, 3):
        folder = tmp_path / f"v{number}"
        folder.mkdir()
        (folder / "model.json").write_text("{}")
        rows.append(
            ModelVersion.objects.create(
                version=number, path=str(folder), fingerprint="x", active=number == active
            )
        )
    return rows


@pytest.mark.django_db
def test_the_database_holds_one_version_in_use(tmp_path):
    _versions(tmp_path)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(version=2).update(active=True)


@pytest.mark.django_db(transaction=True)
def test_two_staff_switching_at_once_leave_one_version_in_use_and_a_true_history(tmp_path):
    _v1, v2, v3 = _versions(tmp_path)
    first_done = threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():  # holds its locks a moment after switching
                training.activate(v2)
                first_done.set()
                time.sleep(0.5)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            first_done.set()
            connection.close()

    def second():
        try:
            first_done.wait(5)
            training.activate(ModelVersion.objects.get(pk=v3.pk))  # waits for the first
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert list(ModelVersion.objects.filter(active=True).values_list("version", flat=True)) == [3]
    history = ModelActivation.objects.order_by("id").values_list(
        "version_number", "previous_number"
    )
    assert list(history) == [(2, 1), (3, 2)]


def _corridor_issue(world):
    """Three tickets at one building: one hot issue, as `hotissues.refresh` finds it."""
    for n in range(3):
        data = ticket_data(
            title=f"楼道堆物{n}", address="魏家坡小区3栋", category=world.corridor.code
        )
        data["requester_phone"] = f"1380000000{n}"
        intake.create_ticket(data, actor=world.hotline)


@pytest.mark.django_db
def test_every_hot_issue_decision_is_a_row_and_shows_on_its_page(client):
    world = make_world()
    _corridor_issue(world)
    hotissues.refresh()
    issue = HotIssue.objects.get()
    services.decide(issue, "confirm", world.community_staff)
    services.decide(issue, "dismiss", world.street_staff, note="已纳入改造计划")
    services.decide(issue, "reopen", world.street_staff)
    rows = list(
        HotIssueDecision.objects.filter(issue=issue)
        .order_by("id")
        .values_list("action", "from_state", "to_state", "user__username")
    )
    assert rows == [
        ("confirm", "new", "confirmed", "community"),
        ("dismiss", "confirmed", "dismissed", "street"),
        ("reopen", "dismissed", "new", "street"),
    ]
    assert HotIssueDecision.objects.get(action="dismiss").note == "已纳入改造计划"
    assert HotIssueDecision.objects.filter(at__lte=timezone.now()).count() == 3
    client.force_login(world.street_staff)
    page = client.get(f"/insights/hot/{issue.pk}/").content.decode()
    assert 'id="hot-decisions"' in page and "研判记录" in page and "已纳入改造计划" in page


@pytest.mark.django_db
def test_deciding_an_issue_the_refresh_regrouped_meanwhile_says_so():
    world = make_world()
    _corridor_issue(world)
    hotissues.refresh()
    shown = HotIssue.objects.get()  # on a page opened before the refresh
    HotIssue.objects.filter(pk=shown.pk).delete()  # what the refresh does to a regrouped one
    with pytest.raises(services.DecisionError, match="刷新"):
        services.decide(shown, "confirm", world.community_staff)
    assert HotIssueDecision.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_during_the_refresh_that_drops_the_issue_is_kept_or_refused():
    """The refresh chose its stale issues by a plain read and then deleted them: a
    confirmation committed in between went with the issue (or failed the refresh on the
    decision's foreign key). Now either the confirmation holds, or it is refused."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections: PostgreSQL")
    from django.db.models.signals import pre_delete

    world = make_world()
    _corridor_issue(world)
    hotissues.refresh()
    issue = HotIssue.objects.get()
    outcome = []

    def confirm():
        try:
            services.decide(HotIssue(pk=issue.pk), "confirm", world.community_staff)
            outcome.append("saved")
        except services.DecisionError as exc:
            outcome.append(str(exc))
        finally:
            connection.close()

    def meanwhile(sender, instance, **kwargs):  # between choosing the issue and deleting it
        thread = threading.Thread(target=confirm)
        thread.start()
        thread.join(2)  # waits only if the refresh holds the issue's row

    pre_delete.connect(meanwhile, sender=HotIssue)
    try:
        hotissues.refresh(min_size=10)  # no longer holds together: dropped
    finally:
        pre_delete.disconnect(meanwhile, sender=HotIssue)
    deadline = time.monotonic() + 10
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.05)
    kept = HotIssue.objects.filter(pk=issue.pk).first()
    if outcome == ["saved"]:
        assert kept is not None and kept.state == HotIssue.State.CONFIRMED
        assert HotIssueDecision.objects.filter(issue=kept).count() == 1
    else:
        assert kept is None and "刷新" in outcome[0]


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_both_finish_with_one_row_per_issue():
    """Both planned the same new keys: the second failed on the unique key once the
    first committed. Now the second waits and continues what the first wrote."""
    if connection.vendor != "postgresql":
        pytest.skip("two writing connections at once: PostgreSQL")
    from unittest import mock

    world = make_world()
    _corridor_issue(world)
    inside, release = threading.Event(), threading.Event()
    link = hotissues._link_tickets
    errors = []

    def held(rows):  # the first refresh stops after writing its rows, until released
        link(rows)
        if threading.current_thread().name == "first":
            inside.set()
            release.wait(10)

    def run():
        try:
            hotissues.refresh()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            inside.set()
            connection.close()

    with mock.patch.object(hotissues, "_link_tickets", held):
        first = threading.Thread(target=run, name="first")
        first.start()
        inside.wait(10)
        second = threading.Thread(target=run, name="second")
        second.start()
        second.join(1)  # blocked behind the first
        release.set()
        first.join(20)
        second.join(20)
    assert errors == []
    assert HotIssue.objects.count() == 1
    assert HotIssue.objects.get().tickets.count() == 3
