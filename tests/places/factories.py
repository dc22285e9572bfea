"""Factories for places, for any app's tests.

    from tests.places.factories import PlaceFactory, make_tree, square

    tree = make_tree()           # 区 → 街道 → 社区 → 2 网格 → 3 楼栋
    tree.grids[0].code           # "G1a"
    tree.buildings[0].address    # "魏家坡小区3栋"

`PlaceFactory(level=..., parent=...)` makes one place (a district by default);
`square(lng, lat, size)` is a GeoJSON Polygon for boundaries.
"""

from types import SimpleNamespace

import factory

from gridgov.places.models import Level, Place

# Two grids of this size (degrees) side by side make up a community.
GRID_SIZE = 0.01


def square(lng, lat, size=GRID_SIZE):
    """GeoJSON Polygon: the square with south-west corner (lng, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


def rectangle(lng, lat, width, height):
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lng, lat],
                [lng + width, lat],
                [lng + width, lat + height],
                [lng, lat + height],
                [lng, lat],
            ]
        ],
    }


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"地点{n}")
    level = Level.DISTRICT
    parent = None


def make_tree(key="1", district=None, origin=(116.30, 39.90)):
    """A small tree with square boundaries, returned as a namespace.

    district D1 (海淀区) → street S{key} (学院路街道) → community C{key}
    (魏家坡社区) → grids G{key}a (魏家坡小区, alias 魏家坡) and G{key}b
    (幸福里小区), each GRID_SIZE° square, side by side from `origin`
    (lng, lat) → buildings B{key}a3 (3栋) and B{key}a5 (5栋) in the first
    grid and B{key}b3 (3栋) in the second, each at its grid's centre area.

    Pass an existing `district` and another `key`/`origin` to add a second
    street beside the first (its compound names repeat on purpose).
    """
    lng, lat = origin
    if district is None:
        district = PlaceFactory(
            code="D1",
            name="海淀区",
            level=Level.DISTRICT,
            boundary=rectangle(lng - 0.1, lat - 0.1, 0.4, 0.3),
        )
    street = PlaceFactory(
        code=f"S{key}",
        name="学院路街道",
        level=Level.STREET,
        parent=district,
        boundary=rectangle(lng, lat, 2 * GRID_SIZE, GRID_SIZE),
    )
    community = PlaceFactory(
        code=f"C{key}",
        name="魏家坡社区",
        level=Level.COMMUNITY,
        parent=street,
        boundary=rectangle(lng, lat, 2 * GRID_SIZE, GRID_SIZE),
    )
    grid_a = PlaceFactory(
        code=f"G{key}a",
        name="魏家坡小区",
        aliases=["魏家坡"],
        level=Level.GRID,
        parent=community,
        boundary=square(lng, lat),
    )
    grid_b = PlaceFactory(
        code=f"G{key}b",
        name="幸福里小区",
        level=Level.GRID,
        parent=community,
        boundary=square(lng + GRID_SIZE, lat),
    )

    def building(grid, code, number, dx, dy):
        return PlaceFactory(
            code=code,
            name=f"{number}栋",
            level=Level.BUILDING,
            parent=grid,
            address=f"{grid.name}{number}栋",
            lat=lat + dy,
            lng=lng + dx,
        )

    buildings = [
        building(grid_a, f"B{key}a3", 3, 0.003, 0.005),
        building(grid_a, f"B{key}a5", 5, 0.006, 0.005),
        building(grid_b, f"B{key}b3", 3, GRID_SIZE + 0.005, 0.005),
    ]
    return SimpleNamespace(
        district=district,
        street=street,
        community=community,
        grids=[grid_a, grid_b],
        buildings=buildings,
    )
