"""A deterministic demo sub-district: places, people, roles, party organisations.

Every seeder is idempotent: it creates what is absent and leaves what exists,
so `gridgov demo` can run any number of times. Later apps add seeders to
SEEDERS in the order they depend on each other.
"""

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import translation
from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union

from gridgov.people.models import (
    CheckIn,
    Department,
    Household,
    PartyMember,
    PartyOrganization,
    Person,
    Role,
    RoleAssignment,
)
from gridgov.places.models import Level, Place

from . import names

DEMO_PASSWORD = "gridgov-demo"
SEED = 20261127
# South-west corner of the demo district and the size of one community block.
ORIGIN_LAT, ORIGIN_LNG = 28.180, 112.960
BLOCK_LAT, BLOCK_LNG = 0.0070, 0.0090


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    place_code: str | None
    description: str


def role_label(role):
    """The role's Chinese name, as the UI shows it (one name per role: docs/glossary.md)."""
    with translation.override("zh-hans"):
        return str(Role(role).label)


def role_title(role, place_name=""):
    """A login's display name: place name + role name, the level word they share said
    once (魏家坡社区 + 社区工作者 → 魏家坡社区工作者, 望江街道 + 街道工作人员 → 望江街道工作人员)."""
    label = role_label(role)
    # Two characters at least: a level word (社区, 街道), not a stray 区.
    for size in range(min(len(place_name), len(label)), 1, -1):
        if place_name.endswith(label[:size]):
            return place_name + label[size:]
    return place_name + label


def department_code(suffix):
    """Departments' codes start with D-, so none reads like a place's (望江街道 is QF-WJ,
    区卫生健康局 D-QF-WJ)."""
    return f"D-{names.DISTRICT[0]}-{suffix}"


def handler_login(department):
    """dh-qf-cg …: the department handler's login, named by district and department."""
    return "dh-" + department.code.removeprefix("D-").lower()


def demo_logins():
    """The documented demo logins (README), each with the role it demonstrates."""
    district, _ = names.DISTRICT
    street, street_name = names.STREETS[0]
    suffix, community_name, _grids = names.COMMUNITIES[0][0]
    community = f"{street}-{suffix}"
    grid1, grid2 = f"{community}-G01", f"{community}-G02"
    return [
        DemoLogin("admin", "superuser", None, "系统管理员 / superuser"),
        DemoLogin("district", Role.DISTRICT_STAFF, district, role_label(Role.DISTRICT_STAFF)),
        DemoLogin("hotline", Role.HOTLINE_OPERATOR, district, role_label(Role.HOTLINE_OPERATOR)),
        DemoLogin("street", Role.STREET_STAFF, street, role_title(Role.STREET_STAFF, street_name)),
        DemoLogin(
            "community",
            Role.COMMUNITY_STAFF,
            community,
            role_title(Role.COMMUNITY_STAFF, community_name),
        ),
        DemoLogin(
            "gridworker", Role.GRID_WORKER, grid1, role_title(Role.GRID_WORKER, names.COMPOUNDS[0])
        ),
        DemoLogin(
            "gridworker2", Role.GRID_WORKER, grid2, role_title(Role.GRID_WORKER, names.COMPOUNDS[1])
        ),
        DemoLogin("microgrid", Role.MICRO_GRID_WORKER, f"{grid1}-B01", "楼栋微网格员"),
        DemoLogin("police", Role.COMMUNITY_POLICE, community, "社区民警（警网融合）"),
        DemoLogin("cadre", Role.CADRE, grid1, role_label(Role.CADRE)),
        DemoLogin("mediator", Role.MEDIATOR, community, role_label(Role.MEDIATOR)),
        DemoLogin("volunteer", Role.VOLUNTEER, community, "志愿者（外卖骑手）"),
        DemoLogin("resident", Role.RESIDENT, f"{grid1}-B01", role_label(Role.RESIDENT)),
        DemoLogin("dept", Role.DEPARTMENT_HANDLER, None, "区城管执法局承办人"),
    ]


def _rect(lat0, lng0, lat1, lng1):
    return Polygon([(lng0, lat0), (lng1, lat0), (lng1, lat1), (lng0, lat1)])


def _split(start, end, parts, rng, jitter=0.18):
    """Cut [start, end] into `parts` pieces of slightly irregular width."""
    step = (end - start) / parts
    cuts = [start + step * i + rng.uniform(-jitter, jitter) * step for i in range(1, parts)]
    return [start, *cuts, end]


def _grid_cells(block, count, rng):
    """Tile a community block with `count` non-overlapping grid polygons (two rows)."""
    lat0, lng0, lat1, lng1 = block
    mid = lat0 + (lat1 - lat0) * rng.uniform(0.42, 0.58)
    top, bottom = (count + 1) // 2, count // 2
    cells = []
    for row_lat0, row_lat1, n in ((mid, lat1, top), (lat0, mid, bottom)):
        xs = _split(lng0, lng1, n, rng)
        cells.extend(_rect(row_lat0, xs[i], row_lat1, xs[i + 1]) for i in range(n))
    return cells


def _area(code, name, level, parent, geometry, **extra):
    centre = geometry.representative_point()
    return Place.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        boundary=mapping(geometry),
        lat=round(centre.y, 6),
        lng=round(centre.x, 6),
        **extra,
    )


def _core(compound):
    for suffix in ("小区", "花园", "新村", "苑", "园", "里"):
        if compound.endswith(suffix) and len(compound) > len(suffix) + 1:
            return compound[: -len(suffix)]
    return compound


def seed_places():
    """The place tree: 1 district, 2 streets, 6 communities, 40 grids, 400 buildings."""
    district_code, district_name = names.DISTRICT
    if Place.objects.filter(code=district_code).exists():
        return Place.objects.get(code=district_code)
    rng = random.Random(SEED)
    compounds = iter(names.COMPOUNDS)
    street_shapes, district_parts = {}, []
    # Geometry first: each community is a block, streets are rows of blocks.
    layout = []
    for s, (street_code, street_name) in enumerate(names.STREETS):
        blocks = []
        for c, (suffix, community_name, grid_count) in enumerate(names.COMMUNITIES[s]):
            lat0 = ORIGIN_LAT + s * BLOCK_LAT
            lng0 = ORIGIN_LNG + c * BLOCK_LNG
            block = (lat0, lng0, lat0 + BLOCK_LAT, lng0 + BLOCK_LNG)
            cells = _grid_cells(block, grid_count, rng)
            blocks.append((f"{street_code}-{suffix}", community_name, cells))
        street_shapes[street_code] = unary_union([cell for *_x, cells in blocks for cell in cells])
        district_parts.append(street_shapes[street_code])
        layout.append((street_code, street_name, blocks))

    district = _area(
        district_code, district_name, Level.DISTRICT, None, unary_union(district_parts)
    )
    for street_code, street_name, blocks in layout:
        street = _area(street_code, street_name, Level.STREET, district, street_shapes[street_code])
        for community_code, community_name, cells in blocks:
            community = _area(
                community_code, community_name, Level.COMMUNITY, street, unary_union(cells)
            )
            for g, cell in enumerate(cells, start=1):
                compound = next(compounds)
                grid = _area(
                    f"{community_code}-G{g:02d}",
                    compound,
                    Level.GRID,
                    community,
                    cell,
                    address=compound,
                    aliases=[_core(compound)],
                )
                _seed_buildings(grid, cell, compound)
    return district


def _seed_buildings(grid, cell, compound):
    lng0, lat0, lng1, lat1 = cell.bounds
    cols = 5  # two rows of five
    for n in range(1, names.BUILDINGS_PER_GRID + 1):
        col, row = (n - 1) % cols, (n - 1) // cols
        lat = lat0 + (lat1 - lat0) * (0.3 + 0.4 * row)
        lng = lng0 + (lng1 - lng0) * (0.12 + 0.76 * col / (cols - 1))
        Place.objects.create(
            code=f"{grid.code}-B{n:02d}",
            name=f"{n}栋",
            level=Level.BUILDING,
            parent=grid,
            lat=round(lat, 6),
            lng=round(lng, 6),
            address=f"{compound}{n}栋",
            aliases=[f"{_core(compound)}{n}号楼"],
        )


def _id_number(rng, region, birth_year):
    """A syntactically valid (fictional) 18-digit resident ID with its check digit."""
    body = f"{region}{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _person_fields(rng):
    name = rng.choice(names.SURNAMES) + "".join(
        rng.choice(names.GIVEN) for _ in range(rng.choice((1, 2)))
    )
    phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
    return {
        "name": name,
        "phone": phone,
        "id_number": _id_number(rng, "430102", rng.randint(1940, 2008)),
    }


def seed_people():
    """Departments, households and residents, Party organisations and members."""
    if Department.objects.exists() or Person.objects.exists():
        return
    rng = random.Random(SEED + 1)
    district = Place.objects.get(code=names.DISTRICT[0])
    Department.objects.bulk_create(
        [
            Department(
                code=department_code(code),
                name=name,
                place=district,
                phone=f"0731-8{i:03d}1234",
            )
            for i, (code, name) in enumerate(names.DEPARTMENTS)
        ]
    )
    # Households: two or three per building, each with one to four members.
    buildings = list(Place.objects.filter(level=Level.BUILDING).order_by("path"))
    households = []
    for building in buildings:
        for h in range(rng.choice((2, 3))):
            households.append(
                Household(
                    building=building, unit=str(h % 2 + 1), room=f"{rng.randint(1, 18)}0{h + 1}"
                )
            )
    Household.objects.bulk_create(households)
    people = []
    relations = [
        Person.Relation.HEAD,
        Person.Relation.SPOUSE,
        Person.Relation.CHILD,
        Person.Relation.PARENT,
    ]
    for household in Household.objects.select_related("building").order_by("id"):
        for m in range(rng.randint(1, 4)):
            people.append(
                Person(
                    place=household.building,
                    household=household,
                    relation=relations[m],
                    lives_alone_elderly=False,
                    **_person_fields(rng),
                )
            )
    Person.objects.bulk_create(people)
    # Some one-person households are elderly people living alone (关爱对象).
    single = Household.objects.annotate(size=Count("members")).filter(size=1)
    alone = list(
        Person.objects.filter(household__in=single).order_by("id").values_list("pk", flat=True)
    )[::3]
    Person.objects.filter(pk__in=alone).update(lives_alone_elderly=True)
    _seed_party()


def _seed_party():
    rng = random.Random(SEED + 2)
    orgs = {}
    for street in Place.objects.filter(level=Level.STREET):
        orgs[street.code] = PartyOrganization.objects.create(
            name=f"中共{street.name}工作委员会",
            kind=PartyOrganization.Kind.WORKING_COMMITTEE,
            place=street,
        )
    for community in Place.objects.filter(level=Level.COMMUNITY).select_related("parent"):
        orgs[community.code] = PartyOrganization.objects.create(
            name=f"中共{community.name}委员会",
            kind=PartyOrganization.Kind.COMMITTEE,
            place=community,
            parent=orgs[community.parent.code],
        )
    for grid in Place.objects.filter(level=Level.GRID).select_related("parent"):
        branch = PartyOrganization.objects.create(
            name=f"{grid.name}网格党支部",
            kind=PartyOrganization.Kind.BRANCH,
            place=grid,
            parent=orgs[grid.parent.code],
        )
        orgs[grid.code] = branch
        # 党小组设在楼栋: the first three buildings of each grid have a group.
        for building in grid.children.order_by("code")[:3]:
            PartyOrganization.objects.create(
                name=f"{grid.name}{building.name}党小组",
                kind=PartyOrganization.Kind.GROUP,
                place=building,
                parent=branch,
            )
    members = []
    communities = {c.path: c for c in Place.objects.filter(level=Level.COMMUNITY)}
    for person in Person.objects.select_related("place").order_by("id")[::9]:
        grid_code = person.place.ancestor_codes[-1]
        community = next(c for path, c in communities.items() if person.place.path.startswith(path))
        kind = rng.random()
        if kind < 0.25:
            status, home, employer = (
                PartyMember.Status.IN_SERVICE,
                community,
                rng.choice(names.EMPLOYERS),
            )
        elif kind < 0.33:
            status, home, employer = PartyMember.Status.MOBILE, None, ""
        else:
            status, home, employer = PartyMember.Status.REGULAR, None, ""
        members.append(
            PartyMember(
                person=person,
                organization=orgs[grid_code],
                status=status,
                home_community=home,
                employer=employer,
            )
        )
    PartyMember.objects.bulk_create(members)
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                person_id=m.person_id,
                community=m.home_community,
                kind=CheckIn.Kind.PARTY_MEMBER,
                note="在职党员进社区报到",
            )
            for m in members
            if m.status == PartyMember.Status.IN_SERVICE
        ]
    )


def seed_logins():
    """Demo logins with one shared password, plus a grid worker for every grid."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow by design
    rng = random.Random(SEED + 3)
    departments = {d.code: d for d in Department.objects.all()}
    city_management = departments[department_code("CG")]
    wanted = demo_logins()
    # Every office has someone to act for it: grid workers, community and street staff,
    # department handlers.
    offices = [
        ("gw", Role.GRID_WORKER, Level.GRID),
        ("cs", Role.COMMUNITY_STAFF, Level.COMMUNITY),
        ("ss", Role.STREET_STAFF, Level.STREET),
    ]
    for prefix, role, level in offices:
        wanted += [
            DemoLogin(
                f"{prefix}-{place.code.lower()}", role, place.code, role_title(role, place.name)
            )
            for place in Place.objects.filter(level=level).order_by("code")
        ]
    handler_of = {}
    for d in Department.objects.order_by("code"):
        handler_of[handler_login(d)] = d
        wanted.append(DemoLogin(handler_login(d), Role.DEPARTMENT_HANDLER, None, f"{d.name}承办人"))
    for login in wanted:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={"password": password, "first_name": login.description},
        )
        if not created:
            continue
        if login.role == "superuser":
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
            continue
        # Street and district staff are no admin users: the admin is for superusers
        # (people.admin), so it showed them nothing behind their 管理后台 link, and an admin
        # user's password is reset in the admin alone, so the district could not reset a
        # street login's at 工作人员账号 (people.assignments.may_reset_password).
        place = Place.objects.get(code=login.place_code) if login.place_code else None
        home = place if place is not None else Place.objects.get(code=names.DISTRICT[0])
        person = Person.objects.create(user=user, place=home, **_person_fields(rng))
        if login.username == "volunteer":
            person.new_employment = True
            person.save(update_fields=["new_employment"])
        department = None
        if login.role == Role.DEPARTMENT_HANDLER:
            department = handler_of.get(login.username, city_management)
        RoleAssignment.objects.create(
            user=user, role=login.role, place=place, department=department
        )
        if login.role == Role.COMMUNITY_POLICE:
            # 警网融合: the community officer is also paired with each grid they patrol.
            for grid in place.children.order_by("code")[:3]:
                RoleAssignment.objects.create(user=user, role=login.role, place=grid)


def seed_tickets():
    """Tickets from real citizen messages: closed history and recent ones in every state."""
    from .tickets import seed_tickets as seed

    seed()


def seed_knowledge():
    """Standard answers (知识库) for common consultations."""
    from .knowledge import seed_knowledge as seed

    seed()


def seed_fieldwork():
    """Patrol tasks with their walks and some door-to-door visits in 魏家坡社区."""
    from .fieldwork import seed_fieldwork as seed

    seed()


def seed_open311():
    """An Open311 API key for the demo; returns the key."""
    from gridgov.open311.demo import seed_open311 as seed

    return seed()


def seed_classifier():
    """The demand classifier, trained once from the labelled messages shipped with insights."""
    from django.conf import settings

    from gridgov.insights.training import ensure_model

    # A small demo (tests) trains on a sample of the corpus: same path, a second instead of ten.
    ensure_model(limit=200 if getattr(settings, "GRIDGOV_DEMO_TICKET_LIMIT", None) else None)


def seed_hot_issues():
    """Hot issues (未诉先办) mined from the demo tickets."""
    from gridgov.insights.tasks import refresh_hot_issues

    refresh_hot_issues()


SEEDERS = [
    seed_places,
    seed_people,
    seed_logins,
    seed_classifier,
    seed_knowledge,
    seed_tickets,
    seed_fieldwork,
    seed_open311,
    seed_hot_issues,
]


@transaction.atomic
def build_demo(stdout=None):
    """Run every seeder in one transaction: a half-built demo is never left behind."""
    for seeder in SEEDERS:
        if stdout:
            stdout.write(
                f"  · {seeder.__doc__.splitlines()[0] if seeder.__doc__ else seeder.__name__}"
            )
        seeder()
