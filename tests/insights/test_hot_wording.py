"""Hot issues: one matter worded two ways at one place is one issue; different matters at
that place, and the same matter at another place, stay apart (docs/insights.md)."""

import datetime as dt
from pathlib import Path

import pytest

from gridgov.insights import hotissues, locations, textprep
from gridgov.insights.management.commands.hotissues import read_records

from .conftest import corpus_rows

T0 = dt.datetime(2019, 11, 1, 9)
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "teddy2020" / "hot_messages.csv"


def rec(i, title, body="", days=0):
    return hotissues.Record(
        id=i, title=title, body=body, time=T0 + dt.timedelta(days=days), user=f"u{i}"
    )


def others():
    """A hundred unrelated messages, so the n-grams of the cases weigh as in real data."""
    rows = corpus_rows("messages", limit=100)
    return [rec(100 + k, r["title"], r["body"], k % 20) for k, r in enumerate(rows)]


def matters(title):
    r = rec(0, title)
    r.place_label, r.place_level = locations.labelled_place(title)
    return hotissues._matter(r)


def test_a_facility_named_by_other_head_nouns_is_one_matter():
    assert matters("丽发新城附近修建搅拌厂噪音污染") == matters("丽发新城附近修建搅拌站噪音污染")
    assert matters("丽发新城旁建垃圾中转站") == matters("丽发新城旁建垃圾场")
    # Not every 站/厂: a bus station and a car factory are two things.
    assert matters("丽发新城旁的汽车站") != matters("丽发新城旁的汽车厂")


def test_a_mixing_plant_called_站_and_厂_at_one_compound_is_one_issue():
    """The demo's 丽发新城 letters were two issues, a 搅拌站 one and a 搅拌厂 one."""
    plant = [
        rec(1, "丽发新城附近建搅拌站噪音扰民", "晚上十点以后还在开工，吵得孩子睡不着。", 0),
        rec(2, "投诉丽发新城附近搅拌站噪音扰民", "罐车整夜进出，轰隆声不断。", 2),
        rec(3, "丽发新城小区附近的搅拌站噪音严重扰民", "机器声从早响到晚，老人心脏受不了。", 4),
        rec(4, "丽发新城附近修建搅拌厂噪音、灰尘污染", "粉尘落满阳台，衣服都不敢晒。", 1),
        rec(5, "丽发新城附近修建搅拌厂严重影响睡眠", "半夜施工，一晚上醒好几次。", 3),
        rec(6, "丽发新城附近修建搅拌厂，严重污染环境", "污水直接排进旁边的水沟。", 5),
    ]
    fees = [
        rec(7, "丽发新城小区物业乱收停车费", "物业每月多收一百元停车费。", 1),
        rec(8, "丽发新城小区物业违规上涨停车费", "停车费没有公示就涨价。", 4),
    ]
    elsewhere = [
        rec(9, "碧桂园小区附近建搅拌站噪音扰民", "晚上十点以后还在开工。", 1),
        rec(10, "碧桂园小区附近修建搅拌厂严重影响睡眠", "半夜施工，睡不好觉。", 3),
    ]
    records = plant + fees + elsewhere + others()
    ours = [sorted(r.id for r in i.records) for i in hotissues.mine(records)]
    ours = sorted(ids for ids in ours if ids[0] < 100)
    assert ours == [[1, 2, 3, 4, 5, 6], [7, 8], [9, 10]]


def labelled(records):
    for r in records:
        r.place_label, r.place_level = locations.labelled_place(r.title)
    return records


def test_groups_of_one_matter_at_one_compound_join_and_others_do_not():
    """Letters alike within each group and seldom across (the tail of the 丽发新城 plant's
    letters, a month on, said 污染环境 where the others said 噪音扰民): the groups' averaged
    matters tell that they are one. Different matters there, the same matter at another
    compound or two months later, and a single letter stay apart."""
    records = labelled(
        [
            rec(1, "丽发新城附近搅拌站噪音扰民", days=0),
            rec(2, "丽发新城小区附近建搅拌站噪音扰民", days=3),
            rec(3, "丽发新城小区附近搅拌站明目张胆污染环境", days=20),
            rec(4, "丽发新城小区附近搅拌站噪音扰民和污染环境", days=25),
            rec(5, "丽发新城小区物业乱收停车费", days=2),
            rec(6, "丽发新城小区物业违规上涨停车费", days=4),
            rec(7, "碧桂园小区附近搅拌站明目张胆污染环境", days=20),
            rec(8, "碧桂园小区附近搅拌站噪音扰民和污染环境", days=25),
            rec(9, "丽发新城小区附近搅拌站明目张胆污染环境", days=90),
            rec(10, "丽发新城小区附近搅拌站噪音扰民和污染环境", days=95),
            rec(11, "丽发新城小区附近搅拌站污染环境", days=10),
        ]
    )
    groups = [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10]]
    features = textprep.CharTfidf((2, 3)).fit_transform([hotissues._matter(r) for r in records])
    joined = hotissues._merge_alike(records, groups, features, dt.timedelta(days=30))
    ids = sorted(sorted(records[i].id for i in g) for g in joined)
    assert ids == [[1, 2, 3, 4], [5, 6], [7, 8], [9, 10], [11]]


def test_grouped_tickets_join_only_within_one_grid():
    """Tickets: one grid (or deeper) is one place; two grids of a community are not."""
    records = labelled(
        [
            rec(1, "附近搅拌站噪音扰民"),
            rec(2, "附近建搅拌站噪音扰民", days=3),
            rec(3, "附近搅拌站噪音扰民和污染环境", days=20),
            rec(4, "附近搅拌站明目张胆污染环境", days=25),
        ]
    )
    features = textprep.CharTfidf((2, 3)).fit_transform([hotissues._matter(r) for r in records])
    for r, building in zip(records, ("B01", "B02", "B05", "B07"), strict=True):
        r.place_key = f"/QF/QF-WJ/QF-WJ-WJP/QF-WJ-WJP-G02/QF-WJ-WJP-G02-{building}/"
    window = dt.timedelta(days=30)
    assert hotissues._merge_alike(records, [[0, 1], [2, 3]], features, window) == [[0, 1, 2, 3]]
    for r in records[2:]:
        r.place_key = "/QF/QF-WJ/QF-WJ-WJP/QF-WJ-WJP-G03/"
    assert hotissues._merge_alike(records, [[0, 1], [2, 3]], features, window) == [
        [0, 1],
        [2, 3],
    ]


@pytest.mark.skipif(not SHARED.exists(), reason="the shared data set is not beside the repo")
def test_the_shared_messages_mixing_plant_is_one_issue_and_a_compounds_other_matters_stay():
    records, _bad = read_records(SHARED)
    issues = hotissues.mine(records)
    issue_of = {r.id: n for n, issue in enumerate(issues) for r in issue.records}
    # The 丽发新城 plant (#2): its two pairs of letters from January were issues of their own.
    plant = issue_of["190523"]
    assert {issue_of.get(i) for i in ("239648", "214282", "213930", "287331")} == {plant}
    assert plant == 1 and issues[plant].count == 51
    # 万科魅力之城: the shops open all night are one matter; the cracked floors, the
    # restaurants' fumes and the barbecue stalls are others.
    shops = issue_of["245136"]
    assert issue_of["246362"] == shops
    assert len({shops, issue_of["198084"], issue_of["287386"], issue_of["195095"]}) == 4
    # 新城国际花都's letters about quality, gas, planning and price are no issue together.
    assert not {i for i in ("210692", "218637", "225468", "233836") if i in issue_of}
