"""What insights adds to intake (settings.GRIDGOV_INTAKE_ADVISOR → `advise`).

For a new demand: the place named in its text when the form gave none
(locations.py), the open tickets that look like the same matter (dedupe.py)
and the classifier's own top label, kept in the create event so a staff
correction can be learnt later (training.harvest_overrides). A new ticket's
text signature is stored with it (on PostgreSQL, in the statement inserting it) or by
the post_save signal below.
"""

import logging

from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from gridgov.core import inserts
from gridgov.tickets import reference
from gridgov.tickets.classify import suggest_category
from gridgov.tickets.models import Category, Ticket

from . import dedupe, locations, predictor

log = logging.getLogger(__name__)


def advise(title, description, data, location, now=None, place_only=False):
    """{"place": Place or None, "event_data": {...}} for tickets.intake.create_ticket;
    `place_only`: without the model's top label and the duplicate search (the route
    preview, which the intake page's duplicates panel accompanies)."""
    text = f"{title} {description}".strip()
    advice = {"place": None, "event_data": {}}
    place = demand_place(text, location.place, area_only=location.how == "address:area")
    if place is not None and place != location.place:
        advice["place"] = place
    if place_only:
        return advice
    version, _model = predictor.load_active()
    ranked = predictor.model_top(text, top=3)
    if ranked:
        top = predictor.first_level_categories().get(ranked[0][0])
        advice["event_data"]["classifier"] = {
            "version": version.version if version else None,
            "top": top.code if top else None,
            "scores": [[label, round(score, 3)] for label, score in ranked],
        }
    duplicates = dedupe.find_duplicates(
        text,
        place=place,
        requester=data.get("requester"),
        phone=data.get("requester_phone") or "",
        now=now,
        category=demand_category(text, category_of(data.get("category"))),
    )
    if duplicates:
        advice["event_data"]["duplicates"] = [
            {"ticket": d.ticket_id, "code": d.code, "score": d.score, "reasons": d.reasons}
            for d in duplicates
        ]
    return advice


def demand_place(text, place=None, area_only=False):
    """Where a demand is: `place` (from its address), or the place its text names when the
    address gave none or only an area (then a place inside that area). The intake
    panel asks this while the operator types, and intake when filing, so both look for
    duplicates at the same place."""
    if place is None or area_only:
        found = locations.locate(text)
        if found.place is not None and (place is None or found.place.path.startswith(place.path)):
            return found.place
    return place


def demand_category(text, category=None):
    """The demand's category: the one chosen, else the one intake files it under when
    left to choose (the best suggestion, tickets.intake.create_ticket). The model's
    answer for the text is cached, so asking here costs no second prediction."""
    if category is not None or not (text or "").strip():
        return category
    suggestions = suggest_category(text)
    return suggestions[0][0] if suggestions else None


def category_of(value):
    """A Category from intake data (an object or a code), or None."""
    if value is None or isinstance(value, Category):
        return value
    return reference.active_category(value) if value else None


def _index_with_ticket(ticket):
    """core.inserts.WRITTEN_WITH for a ticket: its index in the statement inserting it (on
    PostgreSQL, each intake), one round trip fewer than index_new_ticket's statement after
    it. A failure to compute it leaves that to index_new_ticket, which says so."""
    try:
        written = dedupe.index_with_new_ticket(ticket)
    except Exception:  # noqa: BLE001 - index_new_ticket tries again, and logs it
        return None
    if written is not None:
        ticket._gridgov_indexed_with_it = True
    return written


if _index_with_ticket not in inserts.WRITTEN_WITH.setdefault(Ticket, []):
    inserts.WRITTEN_WITH[Ticket].append(_index_with_ticket)


@receiver(post_save, sender=Ticket, dispatch_uid="insights-index-ticket")
def index_new_ticket(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    if instance.__dict__.pop("_gridgov_indexed_with_it", False):
        return  # written with the ticket (_index_with_ticket)
    if connection.vendor != "postgresql":
        try:
            with transaction.atomic():  # a savepoint: a failure here leaves the intake intact
                dedupe.index_ticket(instance, new=True)
        except Exception:  # never let the index stop an intake
            log.exception("could not index ticket %s for duplicates", instance.pk)
        return
    # On PostgreSQL the index is one statement (dedupe._insert_signature) that its data
    # cannot make fail (a signature already there stays, ON CONFLICT; every value is
    # bounded), so it goes without a savepoint, two round trips on every intake. A
    # failure of the database itself there is raised, as the intake's next statement
    # would meet it anyway; a failure before the statement (computing the signature)
    # leaves the transaction as it was, and the intake goes on.
    try:
        dedupe.index_ticket(instance, new=True)
    except DatabaseError:
        raise
    except Exception:  # never let the index stop an intake
        log.exception("could not index ticket %s for duplicates", instance.pk)
