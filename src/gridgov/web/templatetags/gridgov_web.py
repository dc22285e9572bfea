"""Template helpers for the web pages: masking filters and navigation state."""

from django import template

from gridgov.people import masking

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


@register.simple_tag(takes_context=True)
def nav_current(context, prefix):
    """'page' for the navigation link whose section is being shown (for aria-current)."""
    request = context.get("request")
    if request is None:
        return ""
    path = request.path
    if prefix == "/":
        return "page" if path == "/" else ""
    return "page" if path.startswith(prefix) else ""
