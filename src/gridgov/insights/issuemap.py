"""The map on a hot issue's page: where its tickets are, and the grid it is about.

Only what the map needs and anyone who may see the ticket may see: its code, day and
status at its masked point (Ticket.masked_point: the building's, else the reported point
to about 100 m). No requester, title or exact address: the popups are read over a
shoulder, and a doorstep on a map names a household.
"""

from django.urls import reverse
from django.utils import timezone

from gridgov.places.models import Level


def ticket_points(tickets):
    """The located tickets as map markers, one per point: the tickets of one building
    share it (drawn one on another, only the top one could be clicked).

    `tickets` are those the viewer may see (services.visible_issue_tickets), in the order
    given. Each marker: lat, lng, where (the building's or the place's name) and its
    tickets (code, url, day, status); markers in the order of their first ticket.
    """
    markers = {}
    for ticket in tickets:
        lat, lng = ticket.masked_point()
        if lat is None or lng is None:
            continue
        marker = markers.setdefault(
            (lat, lng), {"lat": lat, "lng": lng, "where": where(ticket), "tickets": []}
        )
        marker["tickets"].append(
            {
                "code": ticket.code,
                "url": reverse("tickets:detail", args=[ticket.code]),
                "day": timezone.localtime(ticket.created_at).date().isoformat(),
                "status": str(ticket.get_status_display()),
            }
        )
    return list(markers.values())


def where(ticket):
    """A ticket's place in words, as its marker stands: the building it was resolved to
    (its address: two grids each have a 3栋), else the most specific place known (a grid,
    a community); "" when it has none."""
    if ticket.building_id is not None:
        return ticket.building.address or ticket.building.name
    return ticket.place.name if ticket.place_id is not None else ""


def outline(issue):
    """GeoJSON of the issue's place when it is a grid with a boundary, else None (a
    community or street issue has no one grid to draw)."""
    place = issue.place
    if place is None or place.level != Level.GRID or not place.boundary:
        return None
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": place.boundary, "properties": {"name": place.name}}
        ],
    }


def issue_map(issue, tickets):
    """{"points": ticket_points, "outline": outline} of an issue, for the tickets the
    viewer may see; None when none of them has a point: a grid's outline alone on a map
    without tiles tells nothing (the place is named above it), so the page shows no map."""
    points = ticket_points(tickets)
    if not points:
        return None
    return {"points": points, "outline": outline(issue)}
