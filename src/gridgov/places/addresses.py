"""Address text → building (楼栋).

People write the same building many ways: 魏家坡小区3号楼2单元, 魏家坡小区3栋,
魏家坡小区三号楼, 魏家坡3#楼. We reduce any of them to a key
(compound core, building number): the text is NFKC-folded, Chinese numerals in
front of a building/unit/room marker become digits, the building marker is
found and everything after it (unit, floor, room) dropped, and known place
names (district, street, community) in front are peeled off.

Buildings are indexed under their parent grid's name and aliases (the 小区),
the compound part of their own address and aliases. An exact key hit scores
1.0; otherwise buildings with the same number are ranked by how closely their
compound names resemble the query (rapidfuzz). An address with no building
that names a compound (坡子街小区门口), a community or a street gives that
place as its `area`, so a ticket about 小区门口 still reaches its grid.

The index is cached per process under the places' version token, like geo.py,
so edits made by any process are picked up by the next request.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from gridgov.core import versions

# --- Chinese numerals ---------------------------------------------------------

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS)


def cn_to_int(text):
    """Parse a Chinese numeral: 三 → 3, 十二 → 12, 二十 → 20, 一百零二 → 102,
    两百 → 200; without 十/百/千 it is read digit by digit (一〇二 → 102)."""
    if not text or any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if not any(ch in CN_UNITS for ch in text):
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        else:
            # A bare 十 means 一十 (十二 = 12).
            total += (1 if digit is None else digit) * CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


def int_to_cn(number):
    """The standard reading of 0 ≤ number < 10000 (used to test cn_to_int)."""
    digits = "零一二三四五六七八九"
    if number == 0:
        return "零"
    if not 0 < number < 10000:
        raise ValueError("only 0..9999")
    out, zero_pending = [], False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = number // unit % 10
        if d == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        if not (unit == 10 and d == 1 and not out):  # 十二, not 一十二
            out.append(digits[d])
        out.append(name)
    return "".join(out)


# --- normalisation ---------------------------------------------------------------

# Longest first: 号楼 before 号, #楼 before #.
BUILDING_MARKERS = ("号楼", "#楼", "栋", "幢", "座", "#", "号")
# Markers that only follow a building number (so a numeral before them is one).
AFTER_NUMBER = "号栋幢座#楼单元室层户"
_NUMERAL_RUN = re.compile(rf"第*([{CN_NUMERAL_CHARS}]+)(?=[{AFTER_NUMBER}])")
_DIGIT_RUN = re.compile(r"第+(\d+)")
_NOISE = re.compile(r"[\s,，.。、·:：()（）\[\]【】\"'“”‘’]+")
# 号 followed by 院/路/街… is a street or courtyard number, not a building.
_STRONG = re.compile(r"(?P<num>\d+[A-Z]?|[A-Z])(?P<marker>号楼|#楼|栋|幢|座|#)")
_WEAK = re.compile(r"(?P<num>\d+[A-Z]?|[A-Z])号(?![院路街巷道里胡弄])")
# 3-2-501: building-unit-room with dashes.
_DASHED = re.compile(r"(?P<num>\d+)-\d+(?:-\d+)?$")
# Dropped from the end of a compound name so 魏家坡小区 also matches 魏家坡.
COMPOUND_SUFFIXES = ("小区",)


def normalise(text):
    """NFKC, upper-case latin, no spaces/punctuation, Chinese numerals before
    markers as digits, 第 dropped. Idempotent."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    text = _NOISE.sub("", text)
    text = _NUMERAL_RUN.sub(lambda m: str(cn_to_int(m.group(1))), text)
    text = _DIGIT_RUN.sub(r"\1", text)
    return text


def _number(raw):
    """03 → 3 and 03A → 3A, so zero-padded and plain numbers meet."""
    digits = raw.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return (str(int(digits)) if digits else "") + raw[len(digits) :]


def split_building(text):
    """(compound part, building number or None) of an address.

    The first strong marker (号楼 栋 幢 座 # #楼) wins, then the last bare 号,
    then a trailing 3-2-501; whatever follows the number (unit, floor, room)
    is dropped.
    """
    text = normalise(text)
    match = _STRONG.search(text)
    if match is None:
        weak = list(_WEAK.finditer(text))
        match = weak[-1] if weak else _DASHED.search(text)
    if match is None:
        return text, None
    return text[: match.start()], _number(match.group("num"))


def compound_keys(name):
    """Normalised forms a compound name is indexed and looked up under."""
    core = normalise(name)
    keys = {core} if core else set()
    for suffix in COMPOUND_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            keys.add(core[: -len(suffix)])
    return keys


# --- the index ----------------------------------------------------------------------

# Fuzzy candidates below this similarity are not worth showing.
MIN_SCORE = 0.6
# The best fuzzy candidate is taken as the answer only when it is this good
# and this far ahead of the runner-up; otherwise the caller must choose.
ACCEPT_SCORE = 0.75
ACCEPT_MARGIN = 0.1
# An exact compound and number, under another street/community than the text names.
NAMED_ELSEWHERE_SCORE = 0.8


@dataclass
class AddressResult:
    """`building` is the answer when there is exactly one good candidate.
    `candidates` are (Place, score) best first; `ambiguous` is True when
    there are candidates but none stands out. Without a building, `area` is
    the grid, community or street the address names, if any."""

    building: object = None
    candidates: list = field(default_factory=list)
    ambiguous: bool = False
    number: str | None = None
    # No building found: the grid (小区), else the community or street, the text names.
    area: object = None
    # No building found: a district or street outside ours that the text names, as written
    # (北京市朝阳区), else "" (OurRegions).
    foreign: str = ""


@dataclass
class _Building:
    id: int
    path: str
    number: str
    keys: set
    row: dict  # the Place fields of PLACE_FIELDS, to build the Place without a query


# What a resolved building carries; its other fields load when first read.
PLACE_FIELDS = ("id", "code", "name", "level", "parent_id", "path", "lat", "lng", "address")


class AddressIndex:
    """Buildings keyed by (compound key, number), plus area names to strip."""

    def __init__(self, buildings, grids, areas, rows=None):
        """`buildings`: dicts with aliases and the PLACE_FIELDS;
        `grids`: {id: (name, aliases)}; `areas`: [(name or alias, path)] for
        district/street/community places; `rows`: {id: PLACE_FIELDS dict} of
        the places above buildings, which an address may name as its area."""
        from .models import Level

        self.rows = rows or {}
        self._regions = None  # OurRegions, made when first needed
        self.exact = defaultdict(set)
        self.by_number = defaultdict(list)
        self.buildings = {}
        for b in buildings:
            number = split_building(b["name"])[1]
            texts = [b["address"], *b["aliases"]]
            if number is None:
                number = next((split_building(t)[1] for t in texts if split_building(t)[1]), None)
            if number is None:
                continue
            keys = set()
            grid_name, grid_aliases = grids.get(b["parent_id"], ("", []))
            for name in (grid_name, *grid_aliases):
                keys |= compound_keys(name)
            for text in texts:
                core, n = split_building(text)
                if n == number:
                    keys |= compound_keys(core)
            row = {name: b.get(name) for name in PLACE_FIELDS}
            entry = _Building(b["id"], b["path"], number, keys, row)
            self.buildings[b["id"]] = entry
            self.by_number[number].append(entry)
            for key in keys:
                self.exact[(key, number)].add(b["id"])
        # Longest first, so 魏家坡社区 is stripped before 魏家坡.
        self.areas = sorted(
            {(normalise(n), path) for n, path in areas if normalise(n)},
            key=lambda item: -len(item[0]),
        )
        # Grid names, longest first, for addresses that name a compound but no building
        # ("坡子街小区门口"), and the short forms (aliases, the name without 小区), which
        # count only before a word for a spot in the compound: 芙蓉 may be 芙蓉中路 or 芙蓉区.
        names, short = defaultdict(set), defaultdict(set)
        for grid_id, (name, aliases) in grids.items():
            if grid_id in self.rows:
                full = normalise(name)
                for text in (name, *aliases):
                    for key in compound_keys(text):
                        (names if key == full else short)[key].add(grid_id)
        self.grid_keys = sorted(
            [(k, ids, False) for k, ids in names.items()]
            + [(k, ids, True) for k, ids in short.items() if k not in names],
            key=lambda item: -len(item[0]),
        )
        # An area's name → its path (the longest-first order above: the first one wins).
        self.area_paths = {}
        for name, path in self.areas:
            self.area_paths.setdefault(name, path)
        self.area_ids = {
            row["path"]: pk
            for pk, row in self.rows.items()
            if row["level"] in (Level.STREET, Level.COMMUNITY)
        }

    @classmethod
    def from_db(cls):
        from .models import Level, Place

        fields = ("aliases", *PLACE_FIELDS)
        buildings, grids, areas, rows = [], {}, [], {}
        for row in Place.objects.values(*fields).iterator(chunk_size=2000):
            aliases = [a for a in (row["aliases"] or []) if isinstance(a, str)]
            row["aliases"] = aliases
            if row["level"] == Level.BUILDING:
                buildings.append(row)
                continue
            rows[row["id"]] = {name: row[name] for name in PLACE_FIELDS}
            if row["level"] == Level.GRID:
                grids[row["id"]] = (row["name"], aliases)
            else:
                areas.extend((n, row["path"]) for n in (row["name"], *aliases))
        return cls(buildings, grids, areas, rows)

    def _peel(self, core):
        """Versions of `core` with known area names (and a province or city
        name) peeled off the front, each with the paths it must lie under."""
        variants = [(core, ())]
        text, paths = core, []
        while True:
            stripped = self._strip_one(text)
            if stripped is None:
                break
            text, path = stripped
            if path:
                paths.append(path)
            if text:
                variants.append((text, tuple(paths)))
        return variants

    def _strip_one(self, text):
        for name, path in self.areas:
            if text.startswith(name) and len(text) > len(name):
                return text[len(name) :], path
        match = _REGION_PREFIX.match(text)
        if match and len(text) > match.end():
            return text[match.end() :], None
        return None

    def resolve(self, text):
        found = self._resolve_building(text)
        if found.building is None:
            found.area = self.area(text)
            if self._regions is None:
                self._regions = OurRegions(self)
            found.foreign = self._regions.foreign(text)
        return found

    def _resolve_building(self, text):
        core, number = split_building(text)
        if number is None:
            return AddressResult()
        variants = [(key, paths) for c, paths in self._peel(core) for key in compound_keys(c)]

        # Exact keys: the least-peeled variant that hits wins.
        for key, paths in variants:
            ids = self.exact.get((key, number))
            if ids:
                inside = self._within(ids, paths)
                if inside:
                    return self._answer([(i, 1.0) for i in sorted(inside)], number)
                # The compound exists, but not under the street/community the
                # text names: offer it, short of an exact match.
                scored = [(i, NAMED_ELSEWHERE_SCORE) for i in sorted(ids)]
                return self._answer(scored, number, fuzzy=True)

        candidates = []
        for entry in self.by_number.get(number, []):
            # A variant counts only for buildings under the places it named.
            score = max(
                (
                    fuzz.ratio(key, bkey) / 100
                    for key, paths in variants
                    if all(entry.path.startswith(p) for p in paths)
                    for bkey in entry.keys
                ),
                default=0.0,
            )
            if score >= MIN_SCORE:
                # Never 1.0: that is reserved for exact hits.
                candidates.append((entry.id, min(round(score, 3), 0.99)))
        candidates.sort(key=lambda c: (-c[1], c[0]))
        return self._answer(candidates, number, fuzzy=True)

    def area(self, text):
        """Id of the grid an address names at its front (after any street or community
        names), else of the deepest community or street it names; None without one.

        For addresses with no building: "坡子街小区门口", "魏家坡社区". A short grid key
        (魏家坡 for 魏家坡小区) counts only alone or before a spot word (门口, 附近 …):
        芙蓉中路 is a road, not the 芙蓉 compound.
        """
        # Only what is left once every area name is peeled off: in 魏家坡社区门口 the
        # community's name must not be read as the compound 魏家坡.
        core, paths = self._peel(normalise(text))[-1]
        whole = self.area_paths.get(core)
        for key, ids, is_short in [] if whole else self.grid_keys:
            if not core.startswith(key) or (is_short and not short_name_stands(core[len(key) :])):
                continue
            inside = [i for i in ids if all(self.rows[i]["path"].startswith(p) for p in paths)]
            if len(inside) == 1:
                return inside[0]
        named = [p for p in (*paths, whole) if p in self.area_ids]
        return max(
            (self.area_ids[p] for p in named),
            key=lambda pk: len(self.rows[pk]["path"]),
            default=None,
        )

    def place(self, pk):
        """The place as a Place, from the index: no query (fields beyond PLACE_FIELDS
        are deferred)."""
        from django.db import DEFAULT_DB_ALIAS

        from .models import Place

        row = self.buildings[pk].row if pk in self.buildings else self.rows[pk]
        # from_db takes the values in the model's field order, whatever order the names have.
        names = [f.attname for f in Place._meta.concrete_fields if f.attname in PLACE_FIELDS]
        return Place.from_db(DEFAULT_DB_ALIAS, names, [row[n] for n in names])

    def _within(self, ids, paths):
        return {i for i in ids if all(self.buildings[i].path.startswith(p) for p in paths)}

    @staticmethod
    def _answer(scored, number, fuzzy=False):
        if not scored:
            return AddressResult(number=number)
        best = scored[0]
        if not fuzzy:
            unique = len(scored) == 1
        else:
            runner_up = scored[1][1] if len(scored) > 1 else 0.0
            unique = best[1] >= ACCEPT_SCORE and best[1] - runner_up >= ACCEPT_MARGIN
        return AddressResult(
            building=best[0] if unique else None,
            candidates=scored,
            ambiguous=not unique,
            number=number,
        )


# After a compound's short name (芙蓉 for 芙蓉小区), a spot in or at the compound. Anything
# else may make another place of it: 芙蓉中路, 芙蓉区, 新华书店, 望江楼.
_SPOTS = (
    *("门口", "大门", "东门", "西门", "南门", "北门", "侧门", "后门"),
    *("内", "院内", "附近", "旁边", "对面", "周边", "楼下", "一带", "片区"),
    *("停车场", "地下车库", "车库", "绿化带", "围墙"),
)


def short_name_stands(rest):
    """Whether a compound's short name (芙蓉 for 芙蓉小区) followed by `rest` names the
    compound: at the end, or before a spot in it (门口, 附近 …), not inside 芙蓉中路."""
    return not rest or rest.startswith(_SPOTS)


_PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 "
    "湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
# A province-level name with its usual suffix, or a city name ending in 市;
# the city part only when it is short, so 超市/市场 inside a name survive.
_REGION_PREFIX = re.compile(
    rf"(?:(?:{'|'.join(_PROVINCES)})(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)?)"
    rf"|(?:[^\d市]{{2,4}}市(?!场|政|民))"
)


# What an address names at its front that is not a place: 魏家坡小区 is a compound, 园区 a
# park. A district or county of another city is named with 区, 县 or 旗 after these are
# ruled out (OurRegions.foreign).
_NOT_DISTRICTS = (
    *("小区", "社区", "园区", "校区", "厂区", "景区", "片区", "街区", "营区", "矿区", "郊区"),
    *("库区", "院区", "住宅区", "生活区", "商业区", "工业区", "开发区", "产业区", "服务区"),
    *("保税区", "示范区", "功能区", "办公区", "宿舍区", "家属区", "安置区", "林区", "山区"),
)
_GENERIC_AREAS = ("老城区", "主城区", "新城区", "市区", "城区")  # 东城区 and 西城区 are districts
_DISTRICT_AT_FRONT = re.compile(r"^[\u4e00-\u9fff]{2,6}?(?:区|县|旗)")
_STREET_AT_FRONT = re.compile(r"^[\u4e00-\u9fff]{2,8}?街道")
# Without a province or city before it, a district name is short (朝阳区, 浦东新区) and
# does not end in a direction or number, which names a part of a compound (花园东区, 二区).
_SHORT_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{2,4}(?:区|县|旗)$")
_PART_OF_A_COMPOUND = re.compile(r"[东西南北中上下前后一二三四五六七八九十新老]区$")


class OurRegions:
    """Which administrative regions an address names that are not ours (the place tree's).

    The line, for an address the index finds no building for: it names, at its
    front and after any province or city (北京市, 湖南省长沙市), a district or county that
    is none of our districts (朝阳区 when ours is 清风区); or, after one of our districts, a
    street (…街道) that is none of our streets. An address that names no region, or only
    a province or city (which the tree does not know), or only our own regions, may be
    local: intake and the import leave it at the dispatch desk (never lost), and refuse
    the others.
    """

    def __init__(self, index):
        from .models import Level

        district_paths = {
            row["path"] for row in index.rows.values() if row["level"] == Level.DISTRICT
        }
        self.names = {name for name, _path in index.areas}  # districts, streets, communities
        self.districts = sorted(
            {name for name, path in index.areas if path in district_paths}, key=len, reverse=True
        )

    def foreign(self, text):
        """The region outside ours that `text` names (as written), or ""."""
        rest, named = normalise(text), ""
        while True:
            ours = next((d for d in self.districts if rest.startswith(d)), None)
            if ours is not None:
                after = rest[len(ours) :]
                street = _STREET_AT_FRONT.match(after)
                if street and not any(after.startswith(n) for n in self.names):
                    return named + ours + street.group()
                return ""
            region = _REGION_PREFIX.match(rest)
            if region is None or region.end() >= len(rest):
                break
            named += region.group()
            rest = rest[region.end() :]
        district = _DISTRICT_AT_FRONT.match(rest)
        if district is None:
            return ""
        token = district.group()
        if token.endswith(_NOT_DISTRICTS) or token in _GENERIC_AREAS:
            return ""
        if any(rest.startswith(n) for n in self.names):
            return ""
        if not named and (not _SHORT_DISTRICT.match(token) or _PART_OF_A_COMPOUND.search(token)):
            return ""
        return named + token


# --- cached index for the database -----------------------------------------------


def get_index():
    """The address index of the current place table (cached per process, core.versions)."""
    return versions.cached("places", "address-index", AddressIndex.from_db)


def resolve_address(text):
    """Resolve address text to a building; see AddressResult.

    `building` and the candidates are Place objects.
    """
    index = get_index()
    found = index.resolve(text or "")
    if found.area is not None:
        found.area = index.place(found.area)
    if not found.candidates:
        return found
    places = {pk: index.place(pk) for pk, _score in found.candidates}
    found.candidates = [(places[pk], s) for pk, s in found.candidates]
    found.building = places.get(found.building) if found.building is not None else None
    return found
