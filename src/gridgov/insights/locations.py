"""Place mentions in free text → the place tree.

Two steps. `mentions(text)` finds what looks like a place in Chinese text by
its suffix — 区/县, 街道/镇/乡, 社区/村, 小区 and other compound words
(花园, 苑, 公寓 …), 路/街/大道/巷, and a building number (3栋, 5号楼) — without
any place tree (hot-issue mining over a CSV uses it). `locate(text)` matches
the names and aliases of the real place tree in the text (longest first), then
tries the address resolver (places/addresses.py) on the text after each
compound it found, so "魏家坡小区3栋楼道堆满杂物" lands on that building. Of
the places found, the most specific one that agrees with the others wins.
"""

import re
from dataclasses import dataclass, field

from gridgov.core import versions
from gridgov.places import addresses

LEVEL_ORDER = {"district": 0, "street": 1, "community": 2, "compound": 3, "road": 3, "building": 4}

# Characters that end a place name's prefix: function words and verbs around a mention.
_STOP = "的在是我了和与及对把被从到向于为你他她们这那个有没不也都就将请问关于反映咨询诉投"
_NAME = rf"[^\s\d{_STOP}，。、！？：；,.!?:;（）()“”\"'《》【】\[\]]"
_PATTERNS = [
    (
        "district",
        re.compile(rf"(?:[A-Z]\d{{0,2}}|{_NAME}{{2,4}})(?<![小社园校景])(?:区|县)(?![域间别分])"),
    ),
    ("street", re.compile(rf"{_NAME}{{2,6}}(?:街道|镇|乡)(?![长政府])")),
    ("community", re.compile(rf"{_NAME}{{2,6}}(?:社区|村)(?![民委])")),
    (
        "compound",
        re.compile(
            rf"{_NAME}{{2,10}}(?:小区|花园|家园|新村|新城|公寓|山庄|苑|华庭|广场|大厦|国际|名城|城|[一二三四五六七八九]期)(?![市管])"
        ),
    ),
    # 高铁线路, 铁路, 电路 are not roads by name.
    (
        "road",
        re.compile(rf"{_NAME}{{2,6}}(?:大道|(?<![线铁思电网])路|街|巷)(?![口段灯面况线过上道])"),
    ),
    ("building", re.compile(r"\d{1,3}(?:栋|号楼|幢)")),
]
# A masked city/district prefix in the Teddy data: A市, A3区, K9县 …
_ADMIN_PREFIX = re.compile(r"^(?:[A-Z]\d{0,2}(?:市|区|县))+")
# Words that make a "compound" a description, not a name: 周边小区, 我们小区.
_VAGUE = (
    "周边",
    "附近",
    "周围",
    "所在",
    "整个",
    "各个",
    "多个",
    "一个",
    "我们",
    "你们",
    "他们",
    "业主",
)
_ADMIN_WORD = re.compile(r"街道|[区县市省镇乡](?!$)")
_GENERIC = {
    "小区",
    "社区",
    "本小区",
    "我们小区",
    "该小区",
    "这个小区",
    "街道",
    "城区",
    "市区",
    "辖区",
}


@dataclass(frozen=True)
class Mention:
    text: str
    level: str
    start: int


def mentions(text):
    """Place-like phrases in `text`, in order of appearance."""
    text = text or ""
    found = []
    for level, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = match.group(0)
            if level != "district":
                value = _ADMIN_PREFIX.sub("", value)
                # 暮云街道丽发新城 → 丽发新城: keep what follows the last admin word.
                tail = _ADMIN_WORD.split(value)[-1]
                if level in ("compound", "road") and len(tail) >= 2:
                    value = tail
                value = value.lstrip("区市县省镇乡")
            if len(value) < 2 or value in _GENERIC or any(w in value for w in _VAGUE):
                continue
            found.append(Mention(value, level, match.start()))
    found.sort(key=lambda m: (m.start, -len(m.text)))
    return found


LABEL_LEVELS = ("compound", "road", "community", "street", "district")  # most telling first


def place_label(text):
    """The most telling place in a text for grouping: a compound or road, else a community, street, district."""
    return labelled_place(text)[0]


def labelled_place(text):
    """(label, level) of `place_label`; ("", "") when the text names no place."""
    best = None
    for m in mentions(text):
        if m.level == "building":
            continue
        rank = LABEL_LEVELS.index(m.level)
        if best is None or rank < best[0]:
            best = (rank, m.text)
    return (best[1], LABEL_LEVELS[best[0]]) if best else ("", "")


# --- matching against the place tree -------------------------------------------------------


@dataclass
class Located:
    place: object = None
    how: str = ""
    found: list = field(default_factory=list)  # [(name, Place)]


def _names():
    """[(normalised name, place id, path, level, short)] longest first, cached per place
    version; `short` marks a compound's alias or name without 小区 (see locate)."""
    return versions.cached("places", "gazetteer", _load_names)


def _load_names():
    from gridgov.places.models import Level, Place

    names = []
    rows = Place.objects.exclude(level=Level.BUILDING).values_list(
        "id", "name", "aliases", "path", "level"
    )
    for pk, name, aliases, path, level in rows:
        full = addresses.normalise(name)
        for value in {name, *[a for a in aliases or [] if isinstance(a, str)]}:
            value = addresses.normalise(value)
            if len(value) >= 2:
                names.append((value, pk, path, level, level == Level.GRID and value != full))
                core = value.removesuffix("小区")
                if core != value and len(core) >= 2:
                    names.append((core, pk, path, level, level == Level.GRID))
    names.sort(key=lambda n: -len(n[0]))
    return names


def locate(text):
    """The most specific place of the tree named in the text (a Located)."""
    from gridgov.places.models import Place, common_path, level_rank

    normalised = addresses.normalise(text or "")
    if not normalised:
        return Located()
    hits = []  # (place id, path, level, position)
    taken = []
    for name, pk, path, level, short in _names():
        start = normalised.find(name)
        while start != -1:
            end = start + len(name)
            # A name inside a longer one already found (魏家坡 in 魏家坡小区) adds nothing;
            # a compound's short name inside another word (芙蓉 in 芙蓉中路) is not it.
            # The same span again is another place of the same name (two streets each have
            # a 魏家坡小区): a candidate too, for the other mentions to choose between.
            inside = any(s <= start and end <= e and (s, e) != (start, end) for s, e in taken)
            if not inside and (not short or addresses.short_name_stands(normalised[end:])):
                hits.append((pk, path, level, start))
                taken.append((start, end))
            start = normalised.find(name, end)
    result = Located(found=[])
    # Buildings: resolve the text from each compound found onwards.
    for _pk, path, level, start in sorted(hits, key=lambda h: h[3]):
        if level == "grid":
            building = addresses.resolve_address(normalised[start : start + 24]).building
            if building is not None and building.path.startswith(path):
                hits.append((building.pk, building.path, "building", start))
    if not hits:
        return result

    # The deepest place that every other hit agrees with (lies on its branch).
    def agreement(hit):
        return sum(1 for h in hits if hit[1].startswith(h[1]) or h[1].startswith(hit[1]))

    def rank(hit):
        return agreement(hit), level_rank(hit[2])

    top = max(rank(h) for h in hits)
    tied = [h for h in hits if rank(h) == top]
    result.found = [(h[1], h[2]) for h in hits]
    if any(not (a[1].startswith(b[1]) or b[1].startswith(a[1])) for a in tied for b in tied):
        # One name, two places, and nothing else in the text to choose: not a guess, their
        # common area at most (the dispatch desk places it).
        common = common_path([h[1] for h in tied])
        if common.count("/") - 1 < 2:  # no closer than the district
            return result
        result.place = Place.objects.filter(path=common).first()
        result.how = "text:ambiguous" if result.place else ""
        return result
    best = max(hits, key=lambda h: (agreement(h), level_rank(h[2]), -h[3]))
    result.place = Place.objects.get(pk=best[0])
    result.how = "text"
    return result
