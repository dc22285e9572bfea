"""Fixtures for ticket tests: a small world of places, units and logins.

world = make_world()
world.grid_a, world.gridworker_a, world.street_staff, world.city_mgmt ...
ticket = make_ticket(world, actor=world.hotline, address="魏家坡小区3号楼")
"""

from types import SimpleNamespace

from gridgov.people.models import Department, Household, Person, Role
from gridgov.tickets import intake
from gridgov.tickets.categories import load_taxonomy
from gridgov.tickets.models import Category, HomeLevel, RoutingRule
from tests.people.factories import user_with_role
from tests.places.factories import make_tree


def make_world():
    # Transactional tests flush the data migration's categories; bring them back.
    load_taxonomy()
    tree = make_tree()
    district = tree.district
    city_mgmt = Department.objects.create(code="CG", name="城管执法局", place=district)
    housing = Department.objects.create(code="ZJ", name="住建局", place=district)
    w = SimpleNamespace(
        tree=tree,
        district=district,
        street=tree.street,
        community=tree.community,
        grid_a=tree.grids[0],
        grid_b=tree.grids[1],
        buildings=tree.buildings,
        city_mgmt=city_mgmt,
        housing=housing,
    )
    w.hotline = user_with_role(Role.HOTLINE_OPERATOR, district, username="hotline")
    w.district_staff = user_with_role(Role.DISTRICT_STAFF, district, username="district")
    w.street_staff = user_with_role(Role.STREET_STAFF, tree.street, username="street")
    w.community_staff = user_with_role(Role.COMMUNITY_STAFF, tree.community, username="community")
    w.gridworker_a = user_with_role(Role.GRID_WORKER, w.grid_a, username="gw_a")
    w.gridworker_b = user_with_role(Role.GRID_WORKER, w.grid_b, username="gw_b")
    w.city_handler = user_with_role(Role.DEPARTMENT_HANDLER, department=city_mgmt, username="cg")
    w.housing_handler = user_with_role(Role.DEPARTMENT_HANDLER, department=housing, username="zj")
    w.resident = user_with_role(Role.RESIDENT, tree.buildings[0], username="resident")
    w.corridor = Category.objects.get(name="楼道堆物")  # grid event: handled in the grid
    w.fire_lane = Category.objects.get(name="消防通道堵塞")
    # A department category with a routing rule.
    w.unlicensed = Category.objects.filter(name="城管执法").first()
    RoutingRule.objects.create(category=w.unlicensed, department=city_mgmt)
    w.community_matter = Category.objects.filter(depth=1, home_level=HomeLevel.COMMUNITY).first()
    return w


def make_world_with_resident():
    """make_world, with the resident login's person record (刘居民, in the first building)
    as `world.person`: their 随手拍 and 我的诉求 (see reported_by_resident)."""
    from tests.people.factories import PersonFactory

    w = make_world()
    w.person = PersonFactory(user=w.resident, place=w.buildings[0], name="刘居民")
    return w


def ticket_data(**overrides):
    data = {
        "channel": "hotline",
        "nature": "complaint",
        "title": "楼道堆满杂物",
        "description": "3号楼2单元楼道里堆满了纸箱和旧家具，挡住了通道。",
        "address": "魏家坡小区3号楼2单元",
        "requester_name": "张三",
        "requester_phone": "13812341234",
    }
    data.update(overrides)
    return data


def make_ticket(world, actor=None, **overrides):
    data = ticket_data(**overrides)
    data.setdefault("category", world.corridor.code)
    return intake.create_ticket(data, actor=actor or world.hotline).ticket


def reported_by_resident(world, **overrides):
    """A 随手拍 report of `world.resident` (their person is `world.person`), as the report
    page files it."""
    return make_ticket(
        world,
        actor=world.resident,
        channel="photo",
        nature="report",
        requester=world.person,
        requester_name="",
        requester_phone="",
        **overrides,
    )


def add_households(w):
    """Three households (two in grid A, one in grid B) and 王大爷 living in the first."""
    w.home_a = Household.objects.create(building=w.buildings[0], unit="2", room="301")
    w.home_a2 = Household.objects.create(building=w.buildings[1], unit="1", room="101")
    w.home_b = Household.objects.create(building=w.buildings[2], unit="1", room="502")
    w.wang = Person.objects.create(
        name="王大爷", phone="13611112222", place=w.buildings[0], household=w.home_a
    )
    return w


def every_kind_of_user(w, root):
    """make_world's logins of every kind, and the superuser `root`: each sees a different
    queue and list (the hotline desk, the offices of every level, two grids, two
    departments, a resident)."""
    return [
        w.hotline,
        w.district_staff,
        w.street_staff,
        w.community_staff,
        w.gridworker_a,
        w.gridworker_b,
        w.city_handler,
        w.housing_handler,
        w.resident,
        root,
    ]
