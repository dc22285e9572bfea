"""The grid's own event types named in a text (tickets.classify.grid_event)."""

import pytest

from gridgov.tickets.classify import grid_event
from gridgov.tickets.models import Category

pytestmark = pytest.mark.django_db


def event(name):
    return Category.objects.get(code__startswith="GE.", name=name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3号楼2单元楼道里堆满了纸箱和旧家具，杂物挡住了通道。", "楼道堆物"),  # 楼道 + 杂物
        ("小区里井盖缺失，晚上很危险。", "井盖缺失"),  # its name
        # Charging in the corridor is the hazard, the parking beside it not (as much of the
        # text names each: the more urgent type).
        ("楼道里有人给电动车充电，还乱停乱放。", "电动车违规充电"),
        ("楼道口电动车乱停乱放。", "电动车乱停乱放"),  # 3 keywords beat 楼道 alone
        ("路灯不亮好几天了。", "路灯损坏"),
        # As residents put it on the 随手拍 page: 楼道 + 堆满 + 纸箱, without 杂物.
        ("楼道里堆满了纸箱和旧家具，挡住了通道", "楼道堆物"),
        ("3栋楼道堆满纸箱，挡住了通道", "楼道堆物"),  # the page's own example
        ("消防通道被占用了", "消防通道堵塞"),  # one long, specific word is enough
        ("楼道里电线破了皮", "线路破损"),  # residents' words: 电线 + 破了皮
        ("5栋门口的井盖没了", "井盖缺失"),
    ],
)
def test_a_text_that_clearly_names_a_grid_event_gets_it(text, expected):
    assert grid_event(text) == event(expected)


@pytest.mark.parametrize(
    "text",
    [
        "商家经营不规范，价格欺诈消费者。",  # 经营: one generic keyword of 占道经营
        "孩子上学的学校收费太高。",
        "楼道灯坏了好几天。",  # 楼道: one short word, and no clutter
        "电线杆旁边新开了一家超市。",  # 电线: one short word (its 小广告 are 小广告乱贴)
        "",
    ],
)
def test_one_generic_word_or_none_is_not_a_grid_event(text):
    assert grid_event(text) is None


def test_staff_can_retire_an_event_type():
    corridor = event("楼道堆物")
    corridor.active = False
    corridor.save()
    assert grid_event("楼道里堆满杂物") is None


@pytest.mark.parametrize(
    "text",
    [
        "长赣高铁离小区不到30米，以后噪音扰民怎么办？",  # the demo's hot issue
        "小区旁边的铁路晚上火车经过噪声很大，严重扰民。",
        "绕城高速车流噪音扰民，请加装隔音屏。",
        "机场航线从小区上空过，飞机噪音扰民。",
        "对面工地通宵施工，噪音扰民。",
        "小区附近建搅拌站，噪音扰民，灰尘也大。",
        "医院凌晨施工扰民，噪声很大。",
    ],
)
def test_noise_from_a_source_beyond_the_grid_is_not_the_grid_event(text):
    assert grid_event(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "楼上噪音扰民，天天半夜不睡觉。",
        "小区广场舞噪音扰民，音响开得很大。",
        "隔壁装修噪音扰民，周末一大早就开始电钻。",
        # A facility only placing a neighbour's noise: still the grid's.
        "高铁站旁边小区楼上装修噪音扰民。",
        "楼上装修噪音扰民，吵得跟工地一样。",
    ],
)
def test_a_neighbours_noise_stays_the_grid_event(text):
    assert grid_event(text) == event("噪声扰民")


def test_the_keyword_baseline_leaves_a_railways_noise_to_the_taxonomy():
    from gridgov.tickets.classify import keyword_baseline

    rail = keyword_baseline("长赣高铁离小区不到30米，以后噪音扰民怎么办？")
    assert event("噪声扰民") not in [c for c, _s in rail]
    assert rail[0][0].top().name == "环境保护"  # 噪音, 扰民: its keywords
    assert keyword_baseline("楼上噪音扰民，天天半夜不睡觉。")[0][0] == event("噪声扰民")
