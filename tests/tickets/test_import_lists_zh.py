"""The values a 12345 row may hold, named in its error on the Chinese import report, are a
Chinese list (咨询、求助、投诉…), as the missing columns are; they were separated by spaces.
A patrol's results naming items not on the checklist list them alike."""

import pytest
from django.utils import translation

from gridgov.tickets import imports, patrols

from .factories import make_world
from .test_import_closed import HEADERS, row

pytestmark = pytest.mark.django_db


def messages(cells_row):
    with translation.override("zh-hans"):
        report = imports.import_rows(HEADERS, [cells_row])
    return {e.column: e.message for e in report.errors}


def test_the_values_a_cell_may_hold_are_a_chinese_list():
    make_world()
    number, cells = row(2, "A1", status="挂起", satisfaction="还行")
    cells[HEADERS.index("诉求性质")] = "抱怨"
    said = messages((number, cells))
    assert "咨询、求助、投诉、举报、建议、表扬" in said["诉求性质"]
    assert "办理中、待回访、已办结、已归档" in said["办理状态"]
    said = messages(
        row(
            3, "A2", status="已办结", closed="2026-03-03 10:00", reply="已清理", satisfaction="还行"
        )
    )
    assert "满意、基本满意、不满意" in said["满意度"]


def test_results_off_the_checklist_are_a_chinese_list():
    world = make_world()
    task = patrols.create_task(world.community_staff, world.grid_a, "日常巡查", ["消防通道"], 1)
    with translation.override("zh-hans"), pytest.raises(patrols.PatrolError) as caught:
        patrols.record_patrol(world.gridworker_a, task, results={"楼道": "ok", "井盖": "ok"})
    assert caught.value.errors["results"] == "不在巡查清单中：井盖、楼道"
