"""An import row whose address names a district or street that is not ours is refused with
its reason; an address that may be local but names no building still waits at the desk."""

import pytest
from django.utils import translation

from gridgov.places import addresses
from gridgov.tickets import imports
from gridgov.tickets.models import Status, Ticket

from .factories import make_world

pytestmark = pytest.mark.django_db

HEADERS = ["工单编号", "受理时间", "诉求内容", "诉求地址", "纬度", "经度", "诉求类型", "诉求性质"]

# The test tree is 海淀区 › 学院路街道 › 魏家坡社区 › 魏家坡小区, 幸福里小区.
OUTSIDE = {
    "北京市朝阳区建国路88号": "北京市朝阳区",
    "朝阳区建国路88号": "朝阳区",
    "湖南省长沙市芙蓉区五一大道1号": "湖南省长沙市芙蓉区",
    "北京市东城区东四十条": "北京市东城区",
    "长沙县星沙镇某路": "长沙县",
    "海淀区中关村街道某小区": "海淀区中关村街道",
}
MAYBE_OURS = [
    "学院路某处",  # names no region
    "海淀区学院路某处",  # our district
    "北京市海淀区学院路某处",  # our district, behind its city
    "海淀区学院路街道某处",  # our street
    "幸福里小区门口",  # our compound, no building
    "阳光花园东区5号楼",  # a compound the tree lacks: a part (东区), not a district
    "天通苑北二区5号楼",
    "长沙市某某路12号",  # a city only: the tree does not know which city is ours
    "老城区十字街口",
    "滨江工业区3号厂房",
]


@pytest.fixture
def world():
    return make_world()


def import_addresses(texts, lat="", lng=""):
    data = [
        (n, [f"X{n}", "2026-03-02 09:00", "路灯不亮", text, lat, lng, "城乡建设", "建议"])
        for n, text in enumerate(texts, start=2)
    ]
    with translation.override("zh-hans"):
        return imports.import_rows(HEADERS, data)


def test_an_address_in_another_district_or_street_is_a_row_error(world):
    texts = list(OUTSIDE)
    report = import_addresses([*texts, "学院路某处"])
    assert [(e.row, e.column) for e in report.errors] == [
        (n, "诉求地址") for n in range(2, 2 + len(texts))
    ]
    assert [e.message for e in report.errors] == [
        f"地址位于“{named}”，不在本辖区内。" for named in OUTSIDE.values()
    ]
    assert Ticket.objects.count() == 0


def test_an_address_that_may_be_ours_waits_at_the_dispatch_desk(world):
    report = import_addresses(MAYBE_OURS)
    assert report.ok, report.errors
    assert report.created == len(MAYBE_OURS)
    # No building found for any: each waits at the desk (or at the compound it names).
    assert not Ticket.objects.filter(building__isnull=False).exists()
    assert Ticket.objects.filter(status=Status.RECEIVED).count() == report.at_desk > 0


def test_coordinates_inside_the_area_outweigh_the_words(world):
    building = world.buildings[0]
    report = import_addresses(["北京市朝阳区建国路88号"], lat=building.lat, lng=building.lng)
    assert report.ok, report.errors
    assert Ticket.objects.get().grid_id == building.parent_id


def test_the_line_is_drawn_on_the_place_tree(world):
    assert addresses.resolve_address("北京市朝阳区建国路88号").foreign == "北京市朝阳区"
    world.district.aliases = ["朝阳区"]  # the tree says 朝阳区 is ours (an alias)
    world.district.save()
    assert addresses.resolve_address("北京市朝阳区建国路88号").foreign == ""
