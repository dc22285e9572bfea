"""Template helpers for the web pages: masking filters and navigation state."""

from django import template
from django.utils import timezone

from gridgov.people import masking
from gridgov.people.models import Role
from gridgov.people.scope import scope_for

register = template.Library()


@register.filter
def mask_name(value):
    return masking.mask_name(value)


@register.filter
def mask_phone(value):
    return masking.mask_phone(value)


@register.filter
def mask_id_number(value):
    return masking.mask_id_number(value)


# Sections of the main navigation with a link of their own for every user who may open
# them. A page belongs to the longest prefix that matches, so /tickets/patrols/ lights up
# 巡查走访, not 工单. (随手拍 and 我的诉求 are links of their own only for residents: for
# staff they stay under 工单, so their links name their prefixes in the template.)
NAV_SECTIONS = (
    "/places/",
    "/people/",
    "/insights/",
    "/tickets/",
    "/tickets/new/",
    "/tickets/patrols/",
    "/tickets/visits/",
    "/tickets/map/",
    "/tickets/kpis/",
    "/api/",
    "/admin/",
)


@register.simple_tag(takes_context=True)
def nav_current(context, *prefixes):
    """'page' for the navigation link whose section is being shown (for aria-current).

    A link may stand for several sections (`{% nav_current '/tickets/patrols/' '/tickets/visits/' %}`);
    the page's section is the longest known prefix of its path, so a link for '/tickets/' is
    not current on a page that has a link of its own deeper down.
    """
    request = context.get("request")
    if request is None:
        return ""
    path = request.path
    if "/" in prefixes and path == "/":
        return "page"
    known = [p for p in (*NAV_SECTIONS, *prefixes) if p != "/" and path.startswith(p)]
    if not known:
        return ""
    return "page" if max(known, key=len) in prefixes else ""


API_ROLES = frozenset({Role.DISTRICT_STAFF, Role.STREET_STAFF})


@register.filter
def uses_api(user):
    """Whether the main menu and the home page's quick links offer the API docs: those who
    connect systems to the platform (administrators, district and street staff). A grid
    worker, hotline operator or community worker works in the pages; the docs stay one link
    away on the landing page."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return scope_for(user).has_role(API_ROLES)


@register.filter
def is_past(value):
    """Whether a moment (a deadline) lies before now."""
    return value is not None and value < timezone.now()
