"""Reference data read on every intake, cached per process (core.versions).

Categories with their parents linked, routing rules, time limits and the staff
calendar overrides are small tables written by staff now and then and read by
every intake; each cached value is reloaded as soon as any process writes its
table. The cached instances are shared: read them, never save them.
"""

from gridgov.core import versions

from .models import CalendarDay, Category, RoutingRule, TimeLimit


class Categories:
    """All categories, each with `.parent` set to the shared parent instance."""

    def __init__(self, rows):
        self.by_id = {c.pk: c for c in rows}
        for category in rows:
            # Link parents in memory so walking up the tree never queries.
            category.parent = self.by_id.get(category.parent_id)
        self.by_code = {c.code: c for c in rows}
        self.first_level = {c.name: c for c in rows if c.depth == 1 and c.active}

    @classmethod
    def load(cls):
        return cls(list(Category.objects.all()))


def categories():
    return versions.cached("categories", "tree", Categories.load)


def active_category(code):
    """The active category with this code, or None."""
    found = categories().by_code.get(code)
    return found if found is not None and found.active else None


def _load_rules():
    by_category = {}
    for rule in RoutingRule.objects.select_related("department", "place"):
        by_category.setdefault(rule.category_id, []).append(rule)
    return by_category


def routing_rules(category_ids):
    """The routing rules of these categories."""
    by_category = versions.cached(("routing", "places", "departments"), "rules", _load_rules)
    return [rule for pk in category_ids for rule in by_category.get(pk, ())]


def _load_limits():
    return {(row.urgency, row.category_id, row.place_id): row for row in TimeLimit.objects.all()}


def time_limits():
    """{(urgency, category id or None, district id or None): TimeLimit}."""
    return versions.cached("timelimits", "all", _load_limits)


def calendar_overrides():
    """{date: is_workday} of every staff override (a few dozen rows a year)."""
    return versions.cached(
        "calendar", "all", lambda: dict(CalendarDay.objects.values_list("date", "is_workday"))
    )
