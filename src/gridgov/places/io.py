"""Import and export of the place tree as GeoJSON or CSV.

An import is checked completely before anything is written: every problem is
reported with its row (CSV: line in the file, header = line 1; GeoJSON: feature
number from 1), and if there is any, nothing is written. Existing codes are
updated in place and unchanged rows are left alone, so importing an export
again changes nothing. All writes happen in one transaction, parents first.
"""

import csv
import io
import json
import math
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import shapely
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from shapely.geometry import shape
from shapely.validation import explain_validity

from gridgov.core import sheets, versions

from .geo import LocalProjection
from .models import AREA_LEVELS, CODE_RE, LEVELS, Level, Place, level_rank

GEOJSON = "geojson"
CSV = "csv"
FORMATS = (GEOJSON, CSV)
CSV_COLUMNS = [
    "code",
    "name",
    "level",
    "parent_code",
    "lat",
    "lng",
    "address",
    "aliases",
    "boundary",
]
CSV_REQUIRED = {"code", "name", "level", "parent_code"}
# A street's own spreadsheet names its columns and levels in Chinese (编码, 层级: 社区 …);
# these are read as the English ones, which exports keep writing.
COLUMN_NAMES = {
    "编码": "code",
    "代码": "code",
    "地点编码": "code",
    "名称": "name",
    "地点名称": "name",
    "层级": "level",
    "级别": "level",
    "上级编码": "parent_code",
    "上级代码": "parent_code",
    "纬度": "lat",
    "经度": "lng",
    "地址": "address",
    "别名": "aliases",
    "边界": "boundary",
}
# The template's column names (the first of each above): a problem names its column as the
# street's sheet does (层级, not level), as the staff and department imports do.
HEADERS = {v: k for k, v in reversed(COLUMN_NAMES.items())}
LEVEL_NAMES = {
    "区": Level.DISTRICT,
    "区县": Level.DISTRICT,
    "县": Level.DISTRICT,
    "街道": Level.STREET,
    "街镇": Level.STREET,
    "镇": Level.STREET,
    "乡": Level.STREET,
    "乡镇": Level.STREET,
    "社区": Level.COMMUNITY,
    "居村": Level.COMMUNITY,
    "村": Level.COMMUNITY,
    "网格": Level.GRID,
    "楼栋": Level.BUILDING,
    "楼": Level.BUILDING,
}
ALIAS_SEPARATOR = ";"
AREA_TYPES = {"Polygon", "MultiPolygon"}
# A building pin a few metres outside its grid (on the road before the gate) is common and
# only warned about; further out it is a wrong coordinate (GCJ-02 from a Chinese map, 纬度 and
# 经度 swapped) or a wrong 上级编码, and the row is refused.
BUILDING_OUTSIDE_M = 50
# Grids drawn by hand overlap a little at shared edges; more than this share of the smaller
# grid is a real overlap (a report there goes to whichever grid was created first).
GRID_OVERLAP_SHARE = 0.01
# Fields an import may set; anything else (path, timestamps) follows from them.
DATA_FIELDS = ("name", "level", "boundary", "lat", "lng", "address", "aliases")


class ImportFormatError(ValueError):
    """The file is neither a GeoJSON FeatureCollection nor a place CSV."""


class ImportConflict(RuntimeError):
    """The database changed between the check and the write (a concurrent
    import created the same code); nothing was written, try again."""


@dataclass
class RowError:
    row: int | None
    code: str
    field: str
    kind: str
    message: str

    @property
    def column(self):
        """The column as the template names it (上级编码 …); a GeoJSON's geometry as it is."""
        return HEADERS.get(self.field, self.field)


@dataclass
class ImportReport:
    format: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    # Rows the importing user may not change (checked only with `can_change`).
    forbidden: list = field(default_factory=list)
    # Shown with the report, not blocking it: a building pin just outside its grid, grids of
    # the sheet that overlap each other or a grid already in the database (check_geometry).
    warnings: list = field(default_factory=list)
    written: bool = False

    @property
    def ok(self):
        return not self.errors and not self.forbidden

    def counts(self):
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }

    def problems(self):
        return [asdict(e) for e in [*self.errors, *self.forbidden]]


@dataclass
class Record:
    row: int
    code: str
    name: str
    level: str
    parent_code: str | None
    lat: float | None
    lng: float | None
    address: str
    aliases: list
    boundary: dict | None

    def values(self):
        return {f: getattr(self, f) for f in DATA_FIELDS}


# --- reading -------------------------------------------------------------------------


def _read_bytes(source):
    """(bytes, file name or "") from a path, bytes, or a text/binary file object."""
    if isinstance(source, bytes | bytearray):
        return bytes(source), ""
    if isinstance(source, str | Path):
        path = Path(source)
        return path.read_bytes(), path.name
    name = getattr(source, "name", "") or ""
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, str(name)


def _decode(data):
    if b"\x00" in data[:4096]:
        raise ImportFormatError(
            _("The file is binary: not GeoJSON, CSV or an Excel .xlsx workbook.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Spreadsheets saved on Chinese Windows write GBK/GB18030.
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(_("The file is not UTF-8 or GB18030 text.")) from exc


def detect_format(text, name=""):
    suffix = Path(name).suffix.lower()
    if suffix in (".geojson", ".json"):
        return GEOJSON
    if suffix == ".csv":
        return CSV
    return GEOJSON if text.lstrip().startswith("{") else CSV


def _level_label(level):
    """The level's display name (网格 in Chinese), or the raw text if unknown."""
    return str(Level(level).label) if level in LEVELS else str(level)


_text = sheets.text


def _levels_named():
    """The words a sheet may use for each level: 区 (district)、街道 (street)、…"""
    return sheets.listing(
        f"{next(k for k, v in LEVEL_NAMES.items() if v == level)} ({level})" for level in LEVELS
    )


def as_code(text):
    """A code typed in an input method's full-width mode (ＬＹ－０１, common on Chinese
    keyboards) is the code (LY-01): NFKC makes it half-width. Codes are ASCII by rule, so a
    code already valid never changes."""
    return unicodedata.normalize("NFKC", text)


def case_matches(queryset, codes, known=()):
    """{code: [codes of `queryset` or `known` that differ from it only in case]}: codes are
    case-sensitive (nh-nh-ly may be a place of its own), so a code typed in the wrong case
    is not taken for another, only named as a hint (未找到上级编码 nh-nh-ly；是否为 NH-NH-LY？)."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    lowered = {c.lower() for c in codes}
    stored = queryset.annotate(code_lower=Lower("code")).filter(code_lower__in=lowered)
    found = {}
    for other in [*known, *stored.values_list("code", flat=True)]:
        found.setdefault(other.lower(), set()).add(other)
    return {c: sorted(found.get(c.lower(), set()) - {c}) for c in codes}


def _level(value):
    """The level a cell names: district … building, or 区 … 楼栋 (unknown text as it is)."""
    text = _text(value)
    return LEVEL_NAMES.get(text, text.lower() if text.lower() in LEVELS else text)


def _float(value, label, problems):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    # 纬度 (lat): the sheet's name for the column and the file's.
    named = f"{HEADERS[label]} ({label})"
    if isinstance(value, bool):
        problems.append((label, "bad_value", _("%(field)s must be a number.") % {"field": named}))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append((label, "bad_value", _("%(field)s must be a number.") % {"field": named}))
        return None
    return number


def _aliases(value, problems):
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace("；", ALIAS_SEPARATOR).split(ALIAS_SEPARATOR)
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        problems.append(("aliases", "bad_value", _("Aliases must be a list of strings.")))
        return []
    aliases = [a.strip() for a in value if a.strip()]
    if any(ALIAS_SEPARATOR in a for a in aliases):
        problems.append(
            (
                "aliases",
                "bad_value",
                _("An alias may not contain ';' (it separates aliases in CSV)."),
            )
        )
    return aliases


# GEOS's reasons (explain_validity: "Self-intersection[112.965 28.185]"), in the page's
# language; one it does not list is shown as GEOS says it.
GEOS_REASONS = {
    "Self-intersection": _lazy("the boundary crosses itself"),
    "Ring Self-intersection": _lazy("the boundary touches itself"),
    "Too few points in geometry component": _lazy("a ring has too few points"),
    "Hole lies outside shell": _lazy("a hole lies outside the boundary"),
    "Nested holes": _lazy("a hole lies inside another hole"),
    "Nested shells": _lazy("a polygon lies inside another"),
    "Interior is disconnected": _lazy("the area is cut in two"),
    "Duplicate Rings": _lazy("a ring is given twice"),
    "Invalid Coordinate": _lazy("a coordinate is not a number"),
    "Ring is not closed": _lazy("a ring does not end where it starts"),
}


def _invalidity(geom):
    return _invalidity_text(explain_validity(geom))


def _invalidity_text(reason):
    what, _bracket, where = reason.partition("[")
    said = GEOS_REASONS.get(what.strip())
    if said is None:
        return reason
    if where.rstrip("]").strip():
        return _("%(what)s, near %(where)s") % {"what": said, "where": where.rstrip("]")}
    return str(said)


def _parse_geojson(text):
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        # Where, not json's English ("Expecting value: line 1 column 44 (char 43)").
        raise ImportFormatError(
            _("The file is not valid JSON: line %(line)s, column %(column)s is wrong.")
            % {"line": exc.lineno, "column": exc.colno}
        ) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportFormatError(_("A GeoJSON import must be a FeatureCollection."))
    features = doc.get("features")
    if not isinstance(features, list):
        raise ImportFormatError(_("The FeatureCollection has no list of features."))
    for number, feature in enumerate(features, start=1):
        problems = []
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(("", "bad_value", _("Not a GeoJSON Feature.")))
            feature = {}
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            problems.append(("properties", "bad_value", _("Properties must be an object.")))
            props = {}
        geometry = feature.get("geometry")
        level = _level(props.get("level"))
        lat = _float(props.get("lat"), "lat", problems)
        lng = _float(props.get("lng"), "lng", problems)
        boundary = geometry
        if level == Level.BUILDING:
            # A building's geometry is its location.
            boundary = None
            if geometry is not None:
                lat = lng = None
                if isinstance(geometry, dict) and geometry.get("type") == "Point":
                    coords = geometry.get("coordinates")
                    if isinstance(coords, list) and len(coords) in (2, 3):
                        lng = _float(coords[0], "lng", problems)
                        lat = _float(coords[1], "lat", problems)
                    else:
                        problems.append(
                            ("geometry", "bad_geometry", _("A Point needs [lng, lat] coordinates."))
                        )
                else:
                    problems.append(
                        (
                            "geometry",
                            "bad_geometry",
                            _("A building's geometry must be a Point, not %(type)s.")
                            % {"type": _geometry_type(geometry)},
                        )
                    )
        yield number, props, level, lat, lng, boundary, problems


def _geometry_type(geometry):
    if isinstance(geometry, dict):
        return str(geometry.get("type"))
    return type(geometry).__name__


def _column(header):
    text = _text(header)
    return COLUMN_NAMES.get(text, text.lower())


def _parse_table(rows):
    """The rows of a CSV file or a sheet, the first holding something being the header."""
    if sheets.holds_nothing(rows):
        raise ImportFormatError(sheets.empty())
    header, rows = sheets.header(rows, _column, CSV_REQUIRED)
    missing = [c for c in CSV_COLUMNS if c in CSV_REQUIRED and c not in header]
    if missing:
        names = HEADERS
        raise ImportFormatError(
            _("A place table needs the columns %(columns)s; missing: %(missing)s.")
            % {
                "columns": sheets.listing(
                    f"{c} ({names[c]})" for c in CSV_COLUMNS if c in CSV_REQUIRED
                ),
                "missing": sheets.listing(f"{c} ({names[c]})" for c in missing),
            }
        )
    for number, cells in rows:
        problems = []
        if len(cells) > len(header) and any(_text(c) for c in cells[len(header) :]):
            problems.append(("", "bad_value", _("The row has more cells than the header.")))
        raw = dict(zip(header, cells, strict=False))
        level = _level(raw.get("level"))
        lat = _float(raw.get("lat"), "lat", problems)
        lng = _float(raw.get("lng"), "lng", problems)
        boundary = None
        cell = _text(raw.get("boundary"))
        if cell:
            try:
                boundary = json.loads(cell)
            except json.JSONDecodeError:
                problems.append(("boundary", "bad_geometry", _("The boundary is not valid JSON.")))
            else:
                boundary = _drawn_geometry(boundary, problems)
                if level == Level.BUILDING:
                    problems.append(
                        (
                            "boundary",
                            "bad_geometry",
                            _("A building is a point: give lat and lng, not a boundary."),
                        )
                    )
                    boundary = None
        yield number, raw, level, lat, lng, boundary, problems


def _drawn_geometry(value, problems):
    """The geometry of a boundary pasted as a drawing tool saves it (geojson.io, QGIS): a
    Feature, or a FeatureCollection of one, stands for its geometry."""
    if not isinstance(value, dict):
        return value
    if value.get("type") == "FeatureCollection" and isinstance(value.get("features"), list):
        if len(value["features"]) != 1:
            problems.append(
                (
                    "boundary",
                    "bad_geometry",
                    _(
                        "The boundary is a FeatureCollection of %(n)s features; a place has "
                        "one boundary (join several polygons into one MultiPolygon)."
                    )
                    % {"n": len(value["features"])},
                )
            )
            return None
        value = value["features"][0]
    if isinstance(value, dict) and value.get("type") == "Feature" and value.get("geometry"):
        return value["geometry"]
    return value


def _position_problem(position):
    if not isinstance(position, list) or len(position) not in (2, 3):
        return _("Each position must be [lng, lat].")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position):
        return _("Coordinates must be numbers.")
    lng, lat = position[0], position[1]
    if not (math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90):
        return _("Coordinate [%(lng)s, %(lat)s] is outside the WGS84 range.") % {
            "lng": lng,
            "lat": lat,
        }
    return None


def _ring_problem(ring):
    if not isinstance(ring, list) or len(ring) < 4:
        return _("A polygon ring needs at least four positions.")
    for position in ring:
        problem = _position_problem(position)
        if problem:
            return problem
    if ring[0][:2] != ring[-1][:2]:
        return _("A polygon ring must end where it starts.")
    return None


def geometry_problem(level, geometry):
    """Why a GeoJSON area geometry is unacceptable for `level`, or None."""
    if not isinstance(geometry, dict) or "coordinates" not in geometry:
        return _("The geometry is not a GeoJSON geometry object.")
    kind = geometry.get("type")
    if level in AREA_LEVELS and kind not in AREA_TYPES:
        return _("A %(level)s boundary must be a Polygon or MultiPolygon, not %(type)s.") % {
            "level": _level_label(level),
            "type": kind,
        }
    coords = geometry["coordinates"]
    polygons = [coords] if kind == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return _("The geometry has no coordinates.")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return _("A polygon needs at least one ring.")
        for ring in polygon:
            problem = _ring_problem(ring)
            if problem:
                return problem
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely's errors vary by input
        return _("The geometry cannot be read: %(error)s") % {"error": exc}
    if geom.is_empty:
        return _("The geometry is empty.")
    if not shapely.is_valid(geom):
        return _("The geometry is invalid: %(reason)s") % {"reason": _invalidity(geom)}
    return None


def _clean_geometry(geometry):
    """Keep only what GeoJSON defines, so stored boundaries export as given."""
    return {"type": geometry["type"], "coordinates": geometry["coordinates"]}


def read_records(source, fmt=None):
    """(format, [Record], [RowError]) from a file; raises ImportFormatError."""
    data, name = _read_bytes(source)
    problem = sheets.refusal(data, name)
    if problem:
        raise ImportFormatError(problem)
    rows = None
    if sheets.is_excel(data, name):
        # The street's own spreadsheet, as Excel or WPS saves it (.xlsx or .xls): read like a CSV.
        fmt = fmt or CSV
        if fmt == CSV:
            try:
                table = sheets.excel_rows(data, name)
            except sheets.SheetError as exc:
                raise ImportFormatError(sheets.unreadable(exc)) from None
            rows = _parse_table(table)
    else:
        text = _decode(data)
        fmt = fmt or detect_format(text, name)
        if fmt == GEOJSON:
            rows = _parse_geojson(text)
        elif fmt == CSV:
            try:
                table = list(sheets.csv_rows(text))
            except sheets.SheetError as exc:
                raise ImportFormatError(str(exc)) from None
            rows = _parse_table(table)
    if fmt not in FORMATS or rows is None:
        raise ImportFormatError(_("Unknown format %(format)s.") % {"format": fmt})
    records, errors = [], []
    for row, props, level, lat, lng, boundary, problems in rows:
        code = as_code(_text(props.get("code")))
        name = _text(props.get("name"))
        parent_code = as_code(_text(props.get("parent_code"))) or None
        address = _text(props.get("address"))
        aliases = _aliases(props.get("aliases"), problems)
        if not code:
            problems.append(("code", "missing", _("The code is missing.")))
        elif not CODE_RE.match(code):
            problems.append(
                (
                    "code",
                    "bad_code",
                    _("Place code %(code)s may only use letters, digits, '_', '.' and '-'.")
                    % {"code": code},
                )
            )
        if parent_code and not CODE_RE.match(parent_code):
            problems.append(
                (
                    "parent_code",
                    "bad_code",
                    _("Place code %(code)s may only use letters, digits, '_', '.' and '-'.")
                    % {"code": parent_code},
                )
            )
        if not name:
            problems.append(("name", "missing", _("The name is missing.")))
        elif len(name) > 200:
            problems.append(("name", "bad_value", _("The name is longer than 200 characters.")))
        if len(address) > 300:
            problems.append(
                ("address", "bad_value", _("The address is longer than 300 characters."))
            )
        if level not in LEVELS:
            problems.append(
                (
                    "level",
                    "bad_value",
                    _("Unknown level %(level)s; use one of %(levels)s.")
                    % {"level": level, "levels": _levels_named()},
                )
            )
        if (lat is None) != (lng is None):
            problems.append(("lat", "bad_value", _("Give both lat and lng, or neither.")))
        elif lat is not None and not (
            math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180
        ):
            problems.append(
                ("lat", "bad_value", _("lat must lie in [-90, 90] and lng in [-180, 180].")),
            )
        if boundary is not None and level in AREA_LEVELS:
            problem = geometry_problem(level, boundary)
            if problem:
                problems.append(("boundary", "bad_geometry", problem))
            else:
                boundary = _clean_geometry(boundary)
        errors.extend(RowError(row, code, f, kind, msg) for f, kind, msg in problems)
        records.append(
            Record(row, code, name, level, parent_code, lat, lng, address, aliases, boundary)
        )
    return fmt, records, errors


# --- checking the tree ----------------------------------------------------------------


class _Tree:
    """The tree as it would be after the import: file rows over the database."""

    def __init__(self, records):
        self.records = {}
        self.duplicates = []
        for rec in records:
            if rec.code in self.records:
                self.duplicates.append(rec)
            elif rec.code:
                self.records[rec.code] = rec
        wanted = set(self.records) | {r.parent_code for r in records if r.parent_code}
        self.db = {p.code: p for p in Place.objects.filter(code__in=wanted)}
        # The database parent of every ancestor we can see through a path.
        self.db_parent = {}
        for place in self.db.values():
            codes = place.path.strip("/").split("/")
            for i, code in enumerate(codes):
                self.db_parent.setdefault(code, codes[i - 1] if i else None)

    def parent_of(self, code):
        if code in self.records:
            return self.records[code].parent_code
        return self.db_parent.get(code)

    def level_of(self, code):
        if code in self.records:
            return self.records[code].level
        place = self.db.get(code)
        return place.level if place else None

    def exists(self, code):
        return code in self.records or code in self.db

    def cycle_from(self, code):
        """The loop of codes reached going up from `code`, or None."""
        seen = []
        current = code
        while current is not None:
            if current in seen:
                return seen[seen.index(current) :] + [current]
            seen.append(current)
            current = self.parent_of(current)
        return None


def check_tree(records, errors):
    """Add parent, level, duplicate and cycle problems to `errors`."""
    tree = _Tree(records)
    first_row = {}
    for rec in records:
        first_row.setdefault(rec.code, rec.row)
    for rec in tree.duplicates:
        errors.append(
            RowError(
                rec.row,
                rec.code,
                "code",
                "duplicate_code",
                _("Code %(code)s appears again (first at row %(row)s).")
                % {"code": rec.code, "row": first_row[rec.code]},
            )
        )
    unknown = []
    for rec in tree.records.values():
        if rec.level not in LEVELS:
            continue
        if rec.parent_code is None:
            if rec.level != Level.DISTRICT:
                errors.append(
                    RowError(
                        rec.row,
                        rec.code,
                        "parent_code",
                        "missing",
                        _("A %(level)s needs a parent_code.") % {"level": _level_label(rec.level)},
                    )
                )
            continue
        if not tree.exists(rec.parent_code):
            unknown.append(rec)
            continue
        cycle = tree.cycle_from(rec.code)
        if cycle and rec.code in cycle:
            errors.append(
                RowError(
                    rec.row,
                    rec.code,
                    "parent_code",
                    "cycle",
                    _("%(code)s would become its own ancestor: %(cycle)s.")
                    % {"code": rec.code, "cycle": " → ".join(cycle)},
                )
            )
            continue
        parent_level = tree.level_of(rec.parent_code)
        if parent_level in LEVELS and level_rank(rec.level) != level_rank(parent_level) + 1:
            errors.append(
                RowError(
                    rec.row,
                    rec.code,
                    "level",
                    "wrong_level",
                    _("A %(child)s cannot sit directly under a %(parent)s (%(code)s).")
                    % {
                        "child": _level_label(rec.level),
                        "parent": _level_label(parent_level),
                        "code": rec.parent_code,
                    },
                )
            )
    _unknown_parents(unknown, tree, errors)
    _check_level_changes(tree, errors)
    return tree


def _unknown_parents(unknown, tree, errors):
    """A parent in neither the file nor the database, named with the codes that differ from
    it only in case (nh-nh-ly for NH-NH-LY, the usual slip)."""
    hints = case_matches(Place.objects.all(), {r.parent_code for r in unknown}, tree.records)
    for rec in unknown:
        if hints.get(rec.parent_code):
            message = _(
                "Parent code %(parent)s not found; did you mean %(code)s? (Codes are "
                "case-sensitive.)"
            ) % {"parent": rec.parent_code, "code": sheets.listing(hints[rec.parent_code])}
        else:
            message = _("Parent %(parent)s is neither in the file nor in the database.") % {
                "parent": rec.parent_code
            }
        errors.append(RowError(rec.row, rec.code, "parent_code", "unknown_parent", message))


def _check_level_changes(tree, errors):
    """An existing place changing level must not strand its children."""
    changed = {
        code: rec
        for code, rec in tree.records.items()
        if code in tree.db and rec.level in LEVELS and tree.db[code].level != rec.level
    }
    if not changed:
        return
    children = Place.objects.filter(parent__code__in=changed).values_list(
        "code", "level", "parent__code"
    )
    for code, level, parent_code in children:
        if code in tree.records and tree.records[code].parent_code != parent_code:
            continue  # re-parented by the file; checked as its own row
        rec = changed[parent_code]
        if code in tree.records:
            level = tree.records[code].level
        if level in LEVELS and level_rank(level) != level_rank(rec.level) + 1:
            errors.append(
                RowError(
                    rec.row,
                    rec.code,
                    "level",
                    "wrong_level",
                    _(
                        "Changing the level to %(level)s would leave %(child)s (a %(child_level)s) under it."
                    )
                    % {
                        "level": _level_label(rec.level),
                        "child": code,
                        "child_level": _level_label(level),
                    },
                )
            )


def _area(boundary):
    """A valid shapely area from a row's or a place's boundary, or None."""
    if not boundary:
        return None
    try:
        geom = shape(boundary)
    except Exception:  # a broken boundary is reported as its own row's error
        return None
    if geom.is_empty or not shapely.is_valid(geom) or geom.area == 0:
        return None
    return geom


def check_geometry(tree, errors, warnings):
    """Buildings against their grid's boundary (the file's row, else the database's) and the
    sheet's grids against each other: a pin far outside its grid is an error, one just
    outside and grids overlapping by more than a sliver are warnings."""
    projected = {}  # grid code -> (projection, boundary in metres) or None

    def grid_area(code):
        if code not in projected:
            if code in tree.records:
                rec = tree.records[code]
                geom = _area(rec.boundary) if rec.level == Level.GRID else None
            else:
                place = tree.db.get(code)
                geom = _area(place.boundary) if place and place.level == Level.GRID else None
            if geom is None:
                projected[code] = None
            else:
                centre = geom.centroid
                projection = LocalProjection(centre.y, centre.x)
                projected[code] = (projection, projection.geometry(geom))
        return projected[code]

    for rec in tree.records.values():
        if rec.level != Level.BUILDING or rec.lat is None or rec.lng is None:
            continue
        if not rec.parent_code or not math.isfinite(rec.lat) or not math.isfinite(rec.lng):
            continue
        found = grid_area(rec.parent_code)
        if found is None:
            continue
        projection, area = found
        x, y = projection.xy(rec.lat, rec.lng)
        metres = shapely.distance(area, shapely.Point(float(x), float(y)))
        if metres <= 0:
            continue
        values = {"grid": rec.parent_code, "m": round(metres)}
        if metres > BUILDING_OUTSIDE_M:
            message = _(
                "The building lies %(m)s m outside the boundary of its grid %(grid)s (more "
                "than %(limit)s m): check 纬度/经度 (WGS84; convert GCJ-02 or BD-09 map "
                "coordinates first) or 上级编码."
            ) % {**values, "limit": BUILDING_OUTSIDE_M}
            errors.append(RowError(rec.row, rec.code, "lat", "outside_grid", message))
        else:
            message = (
                _(
                    "The building lies %(m)s m outside the boundary of its grid %(grid)s; "
                    "imported, but check 纬度/经度 or the grid's 边界."
                )
                % values
            )
            warnings.append(RowError(rec.row, rec.code, "lat", "outside_grid", message))
    _check_overlaps(tree, warnings)


def _check_overlaps(tree, warnings):
    grids = [
        (rec, geom)
        for rec in sorted(tree.records.values(), key=lambda r: r.row)
        if rec.level == Level.GRID and (geom := _area(rec.boundary)) is not None
    ]
    if not grids:
        return
    index = shapely.STRtree([geom for _rec, geom in grids])
    # Each pair once, on the later row (which names the earlier one).
    pairs = index.query([geom for _rec, geom in grids], predicate="intersects")
    for i, j in sorted({(min(a, b), max(a, b)) for a, b in pairs.T if a != b}):
        (first, a), (second, b) = grids[i], grids[j]
        # Degrees squared: the ratio of two nearby areas is the same as in metres.
        share = a.intersection(b).area / min(a.area, b.area)
        if share > GRID_OVERLAP_SHARE:
            message = _(
                "The grid overlaps grid %(other)s (row %(row)s) by %(share)s%% of the smaller "
                "one's area; imported, but a report there goes to the grid created first: "
                "redraw the 边界."
            ) % {"other": first.code, "row": first.row, "share": round(share * 100, 1)}
            warnings.append(RowError(second.row, second.code, "boundary", "overlap", message))
    _check_overlaps_with_database(tree, grids, index, warnings)


def _check_overlaps_with_database(tree, grids, index, warnings):
    """The sheet's grids against the grids already in the database that the sheet does not
    replace (a row with the code of an existing grid redraws it, so is not compared with its
    old self). Another street's grid is a warning as well, not a refusal: the importer may not
    redraw it, and refusing would stop a street's whole tree on a neighbour's drawing that
    only the neighbour (or the district) can fix; the lookup still answers the same grid every
    time (the one created first), and the warning names the grid and its street to call."""
    near = _nearby_grid_paths(tree, grids, index)
    if not near:
        return
    rows = (
        Place.objects.filter(level=Level.GRID, boundary__isnull=False)
        .under_any(near)
        .values_list("pk", "code", "name", "path", "boundary")
        .iterator(chunk_size=2000)
    )
    existing, geoms = [], []
    for pk, code, name, path, boundary in rows:
        if code in tree.records:
            continue  # replaced by the sheet's row
        geom = _stored_area(boundary)
        if geom is not None:
            existing.append((pk, code, name, path))
            geoms.append(geom)
    if not existing:
        return
    found = []
    # The bounding boxes first (the tree), then the exact test on the few pairs left.
    old_idx, new_idx = index.query(geoms, predicate="intersects")
    for i, j in zip(old_idx.tolist(), new_idx.tolist(), strict=True):
        (rec, a), b = grids[j], geoms[i]
        try:
            share = a.intersection(b).area / min(a.area, b.area)
        except shapely.errors.GEOSException:  # a stored boundary GEOS cannot cut
            continue
        if share > GRID_OVERLAP_SHARE:
            found.append((rec, existing[i], share))
    streets = _street_names({other[3] for _rec, other, _share in found})
    for rec, (pk, code, name, path), share in sorted(found, key=lambda f: (f[0].row, f[1][1])):
        own = tree.db.get(rec.code)
        # A point in both grids goes to the one with the lowest id (geo.GridIndex.lookup): a
        # new grid comes after every existing one.
        first = rec.code if own is not None and own.pk < pk else code
        values = {
            "code": rec.code,
            "other": code,
            "name": name,
            "share": round(share * 100, 1),
            "first": first,
        }
        street = _street_of(path)
        if street == _sheet_street(tree, rec):
            message = (
                _(
                    "The grid %(code)s overlaps grid %(other)s (%(name)s) already in the database "
                    "by %(share)s%% of the smaller one's area; imported, but a report there goes to "
                    "%(first)s, the grid created first: redraw the 边界."
                )
                % values
            )
        else:
            message = _(
                "The grid %(code)s overlaps grid %(other)s (%(name)s) of %(street)s, already in "
                "the database, by %(share)s%% of the smaller one's area; imported, but a report "
                "there goes to %(first)s, the grid created first: redraw the 边界 with that "
                "street's office."
            ) % {**values, "street": streets.get(street, street)}
        warnings.append(RowError(rec.row, rec.code, "boundary", "overlap", message))


# Past this many streets near the sheet, their grids are looked for by district instead (the
# query holds one LIKE per path).
NEAR_STREETS_MAX = 200


def _nearby_grid_paths(tree, grids, index):
    """The paths of the streets whose grids may overlap the sheet's, so that a city's thousands
    of grid boundaries are not all read: the streets (and districts) above the sheet's grids,
    those whose boundary's bounding box meets a sheet grid's, and, inside the sheet's
    districts, those with no boundary to tell."""
    above = set()
    for rec, _geom in grids:
        code = rec.parent_code
        while code and code not in above:
            above.add(code)
            code = tree.parent_of(code)

    def near(code, boundary):
        if code in above:
            return True
        try:
            box = shapely.box(*shape(boundary).bounds) if boundary else None
        except Exception:  # an unreadable stored boundary tells nothing
            return False
        return box is not None and len(index.query(box)) > 0

    districts = [
        f"/{code}/"
        for code, boundary in Place.objects.filter(level=Level.DISTRICT).values_list(
            "code", "boundary"
        )
        if near(code, boundary)
    ]
    if not districts:
        return []
    streets = [
        path
        for code, path, boundary in Place.objects.filter(level=Level.STREET)
        .under_any(districts)
        .values_list("code", "path", "boundary")
        if near(code, boundary) or (not boundary and path.split("/")[1] in above)
    ]
    return streets if len(streets) <= NEAR_STREETS_MAX else districts


def _stored_area(boundary):
    """A stored boundary as shapely (repaired if invalid, as geo.GridIndex does), or None."""
    if not boundary:
        return None
    try:
        geom = shape(boundary)
    except Exception:  # an unreadable stored boundary is not the sheet's problem
        return None
    if not geom.is_empty and not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    return None if geom.is_empty or geom.area == 0 else geom


def _street_of(path):
    """The street's code in a grid's path /district/street/community/grid/."""
    codes = path.strip("/").split("/")
    return codes[1] if len(codes) > 1 else None


def _sheet_street(tree, rec):
    """The street the sheet puts a grid under (grid → community → street)."""
    return tree.parent_of(rec.parent_code) if rec.parent_code else None


def _street_names(paths):
    codes = {_street_of(p) for p in paths} - {None}
    if not codes:
        return {}
    return dict(Place.objects.filter(code__in=codes).values_list("code", "name"))


def check_permission(tree, can_change, wrong=frozenset()):
    """Rows the user may not write: an existing place must be changeable where
    it is now, and a place placed under a database parent (new, or moved there)
    needs that parent to be changeable; `can_change(None)` stands for creating
    a new root. Codes in `wrong` have a problem listed already (a grid without its
    上级编码 would read as a new district), so they are not refused a second time."""
    forbidden = []
    cache = {}

    def allowed(place):
        key = place.pk if place is not None else None
        if key not in cache:
            cache[key] = bool(can_change(place))
        return cache[key]

    for rec in tree.records.values():
        if rec.code in wrong:
            continue
        existing = tree.db.get(rec.code)
        if existing is not None and _unchanged(tree, rec):
            # A street's sheet starts with its district's row, as it is: no change to allow.
            continue
        if existing is not None and not allowed(existing):
            forbidden.append(rec)
            continue
        parent = tree.db.get(rec.parent_code) if rec.parent_code else None
        moved = existing is None or existing.parent_id != getattr(parent, "pk", None)
        if not moved or (rec.parent_code and parent is None):
            continue  # a parent new in the file is checked on its own row
        # A parent already in the database is checked where it is now, whether or not its
        # row is in the file (an unchanged row above is not checked itself).
        if not allowed(parent):
            forbidden.append(rec)
    return [
        RowError(
            rec.row,
            rec.code,
            "code",
            "forbidden",
            _("You may not change places at %(code)s.") % {"code": rec.code},
        )
        for rec in forbidden
    ]


# --- writing ------------------------------------------------------------------------------


def _write(tree, report, progress):
    registry = dict(tree.db)
    ordered = sorted(tree.records.values(), key=lambda r: (level_rank(r.level), r.row))

    def tick():
        if progress:
            progress(report.created + report.updated + report.unchanged, report.total)

    def move_registry(old_path, new_path):
        # Place.save() rewrote the subtree in the database; mirror it here so
        # rows saved later compute their paths from current parents.
        for place in registry.values():
            if place.path.startswith(old_path):
                place.path = new_path + place.path[len(old_path) :]

    for _rank, group in _group_by_rank(ordered):
        to_create = []
        for rec in group:
            parent = registry[rec.parent_code] if rec.parent_code else None
            place = registry.get(rec.code)
            if place is None:
                place = Place(code=rec.code, parent=parent, **rec.values())
                place.path = Place.path_for(parent, rec.code)
                to_create.append(place)
                registry[rec.code] = place
                continue
            values = rec.values()
            if place.parent_id == (parent.pk if parent else None) and all(
                getattr(place, f) == v for f, v in values.items()
            ):
                report.unchanged += 1
            else:
                old_path = place.path
                for f, v in values.items():
                    setattr(place, f, v)
                place.parent = parent
                place.save()
                if place.path != old_path:
                    move_registry(old_path, place.path)
                report.updated += 1
            if (report.updated + report.unchanged) % 500 == 0:
                tick()
        for start in range(0, len(to_create), 500):
            batch = to_create[start : start + 500]
            Place.objects.bulk_create(batch)
            report.created += len(batch)
            tick()
        if any(p.pk is None for p in to_create):
            # Backends that cannot return ids from a bulk insert.
            ids = dict(
                Place.objects.filter(code__in=[p.code for p in to_create]).values_list("code", "id")
            )
            for p in to_create:
                p.pk = ids[p.code]
    if to_create:
        versions.bump("places")  # bulk_create sends no post_save
    tick()


def _count(tree, report):
    """What _write would do, counted without writing (a dry run says what it would change)."""
    for rec in tree.records.values():
        if rec.code not in tree.db:
            report.created += 1
        elif _unchanged(tree, rec):
            report.unchanged += 1
        else:
            report.updated += 1


def _unchanged(tree, rec):
    """The row says what the database holds already (same parent and values)."""
    place = tree.db[rec.code]
    return tree.db_parent.get(rec.code) == rec.parent_code and all(
        getattr(place, f) == v for f, v in rec.values().items()
    )


def _group_by_rank(ordered):
    groups = {}
    for rec in ordered:
        groups.setdefault(level_rank(rec.level), []).append(rec)
    return sorted(groups.items())


def import_places(
    source,
    fmt=None,
    *,
    can_change: Callable | None = None,
    dry_run=False,
    progress: Callable | None = None,
):
    """Check and, if all is well, write places from a GeoJSON or CSV file.

    `source`: path, bytes or file object; `fmt`: "geojson", "csv" or None to
    detect. `can_change(place_or_None)` decides what the caller may touch
    (see check_permission); `progress(done, total)` is called while writing.
    Raises ImportFormatError for files that are not a place file at all, and
    ImportConflict if a concurrent write got in the way (nothing is written).
    """
    fmt, records, errors = read_records(source, fmt)
    report = ImportReport(format=fmt, total=len(records))
    tree = check_tree(records, errors)
    warnings = []
    check_geometry(tree, errors, warnings)
    report.errors = sorted(errors, key=lambda e: (e.row or 0, e.field))
    report.warnings = sorted(warnings, key=lambda e: (e.row or 0, e.field))
    if can_change is not None:
        wrong = {e.code for e in report.errors}
        report.forbidden = check_permission(tree, can_change, wrong)
    if not report.ok:
        return report
    if dry_run:
        _count(tree, report)
        return report
    try:
        with transaction.atomic():
            _write(tree, report, progress)
    except IntegrityError as exc:
        raise ImportConflict(str(exc)) from exc
    report.written = True
    return report


# --- export ---------------------------------------------------------------------------------


def _parent_code(place):
    codes = place.ancestor_codes
    return codes[-1] if codes else None


def export_queryset(root=None):
    """Places to export, parents before children; `root` is a code."""
    qs = Place.objects.all()
    if root:
        qs = qs.under(Place.objects.get(code=root))
    # Sorted here, not by the database, so the order is the same on any backend.
    return sorted(qs, key=lambda p: p.path)


def feature(place):
    props = {
        "code": place.code,
        "name": place.name,
        "level": place.level,
        "parent_code": _parent_code(place),
        "address": place.address,
        "aliases": list(place.aliases or []),
    }
    if place.level == Level.BUILDING:
        geometry = None
        if place.lat is not None and place.lng is not None:
            geometry = {"type": "Point", "coordinates": [place.lng, place.lat]}
    else:
        geometry = place.boundary or None
        if place.lat is not None and place.lng is not None:
            # An area's label point rides along in the properties.
            props["lat"], props["lng"] = place.lat, place.lng
    return {"type": "Feature", "geometry": geometry, "properties": props}


def feature_collection(places):
    return {"type": "FeatureCollection", "features": [feature(p) for p in places]}


def write_geojson(places, out):
    out.write('{"type": "FeatureCollection", "features": [\n')
    for i, place in enumerate(places):
        out.write(",\n" if i else "")
        out.write(json.dumps(feature(place), ensure_ascii=False))
    out.write("\n]}\n")


def _cell(value):
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def write_csv(places, out):
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in places:
        boundary = ""
        if p.boundary and p.level != Level.BUILDING:
            boundary = json.dumps(p.boundary, ensure_ascii=False, separators=(",", ":"))
        writer.writerow(
            [
                p.code,
                p.name,
                p.level,
                _parent_code(p) or "",
                _cell(p.lat),
                _cell(p.lng),
                p.address,
                ALIAS_SEPARATOR.join(p.aliases or []),
                boundary,
            ]
        )


def export_places(fmt=GEOJSON, root=None, out=None):
    """Write the tree (or the subtree at code `root`) to `out`, or return it as text."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    places = export_queryset(root)
    target = out if out is not None else io.StringIO()
    (write_geojson if fmt == GEOJSON else write_csv)(places, target)
    return None if out is not None else target.getvalue()
