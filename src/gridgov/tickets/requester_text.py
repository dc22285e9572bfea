"""What a ticket's viewer reads of the requester in its free text and its address (DESIGN §8).

Citizens write "请联系我 13912345678", their ID or their room number into a demand, and a
reply or a callback note quotes them. The unit that holds the ticket acts on those words
and reads them as written, as do the desk while the demand waits for it (to place it or
call back) and the requester themselves; every other viewer of the ticket (community
police, sent-down cadres, the offices above, a summoned department) reads them scrubbed: phones, ID and room numbers, e-mail, QQ and WeChat
blanked, the requester's name masked (`masking.scrub_text`, as notifications and Open311
do). Staff quote the requester in the words they write on a ticket (已电话联系 139… 张三):
an extension request and its decision, a whistle's reason, a department's report, a
rating note; these are read the same way. One rule (`tickets.read_requester_text`,
rules.may_read_requester_text) and one function (`text_for`) serve the pages, the API and
the export alike.

The exact address is personal data with a logged full view (Ticket.PERSONAL_DATA_FIELDS):
the holding unit's handlers see it on the ticket's page without asking (`exact_address`),
each time logged as a reveal of the address alone; others see `Ticket.masked_address`.
"""

import re

from django.db import connections
from django.db.models import F, Q
from django.db.models.lookups import IContains
from django.utils.translation import gettext

from gridgov.people.masking import scrub_text
from gridgov.people.personal_data import reveal
from gridgov.people.scope import scope_for

from . import progress, queues

READ_PERM = "tickets.read_requester_text"


def written_q(user):
    """The tickets whose free text `user` reads as written (rules.may_read_requester_text),
    as a Q: those their units hold, those waiting at a desk they serve, their own."""
    scope = scope_for(user)
    if scope.everything:
        return Q()
    return queues.held_q(scope) | queues.desk_q(user) | progress.own_q(user)


def search(queryset, text, user):
    """`queryset` narrowed to the tickets whose code is `text` or whose title or description
    holds it (the lists' and the queue's 搜索, the API's ?q=). A phone, ID or room number,
    or the requester's name, is looked for only in the text `user` reads as written:
    elsewhere they read it blanked, and the hits would tell them which tickets hold it."""
    text = (text or "").strip()
    if not text:
        return queryset
    code, words = _conditions(text, connections[queryset.db].vendor)
    written = written_q(user)
    if not written:  # Q(): they read every ticket as written (`Q() | x` would be x alone)
        return queryset.filter(code | words)
    if _may_be_personal(text):
        words &= written
    elif len(text) >= 2:
        # Nor is the requester's name, which they read masked (张*), a key to the ticket.
        words &= written | ~Q(requester_name__icontains=text)
    return queryset.filter(code | words)


# pg_trgm takes a LIKE pattern's trigrams from its runs of letters and digits (Chinese
# characters included): a term without a run of three (噪音, 小区) has none, and its trigram
# index would be read whole. Only a pattern with one is sent where the index may serve it.
_TRIGRAM = re.compile(r"[^\W_]{3}")


class _IContainsNoIndex(IContains):
    """__icontains, its `UPPER(field::text)` relabelled COLLATE "C": the trigram index, built
    on the expression in the database's collation, does not match it, while the planner
    still finds the expression's statistics (the index's, gathered by ANALYZE) and guesses
    how many tickets hold the term. LIKE gives the same answer in any deterministic
    collation, and UPPER still runs in the database's."""

    def process_lhs(self, compiler, connection, lhs=None):
        sql, params = super().process_lhs(compiler, connection, lhs)
        return f'{sql} COLLATE "C"', params


def _conditions(text, vendor):
    """(Q: the code is `text`, Q: the title or the description holds it, case aside).

    On PostgreSQL, when `text` has a trigram, `UPPER(title::text) LIKE …` is served by the
    trigram indexes (migration 0022), and the code is compared with `=`, which the unique
    index serves: codes are made upper case (intake.next_codes, GD20261127-000123), so it
    matches what code__iexact did, and an OR reads through indexes only when each of its
    branches has one. A shorter term's LIKE is kept off the trigram indexes, not left to the
    planner: a prepared statement's generic plan (core.db's prepare_threshold) does not see
    the term, and chose them for 2-character terms, reading them whole and rechecking every
    ticket (8.5 s for a count that reads the table in 1.8 s, 200,000 tickets). Such a search
    reads the tickets as before, and keeps code__iexact: no index serves the OR anyway, and
    its guessed 0.5 % of tickets kept the planner's count of the hits near the truth; with
    `=`, a district's API page sorted all of its tickets rather than walking the newest to
    the first 100 (0.1 → 1 s)."""
    if vendor != "postgresql":
        return Q(code__iexact=text), Q(title__icontains=text) | Q(description__icontains=text)
    if _TRIGRAM.search(text):
        return Q(code=text.upper()), Q(title__icontains=text) | Q(description__icontains=text)
    unindexed = Q(_IContainsNoIndex(F("title"), text)) | Q(
        _IContainsNoIndex(F("description"), text)
    )
    return Q(code__iexact=text), unindexed


# Seven digits or more, spaces, dashes and dots aside: a number that may be a phone.
_LONG_NUMBER = re.compile(r"\d{7,}")
_NUMBER_SEPARATORS = re.compile(r"[\s.\-－—]")


def _may_be_personal(text):
    """Does the search term hold what a ticket's text may hold blanked? What scrub_text
    blanks in the term itself, and any long number: a bare 88886666 is no phone to
    scrub_text, but a description's 电话88886666 is, and a search for the bare number would
    tell those who read it blanked which tickets hold it."""
    if scrub_text(text) != text:
        return True
    return bool(_LONG_NUMBER.search(_NUMBER_SEPARATORS.sub("", text)))


def as_written(text):
    return text or ""


def text_for(user, ticket):
    """The viewer's version of `ticket`'s free text: a function text → text, as written for
    those holding `tickets.read_requester_text`, else scrubbed. Decided once per viewer and
    holder and kept on the ticket: a timeline asks for each of its events, a list for each
    row (the rule reads the scope cached for the request and the row's owner, no query)."""
    if user is None:
        return _scrubber(ticket)
    cache = ticket.__dict__.setdefault("_gridgov_text_for", {})
    # The holder and the status decide it (the desk reads as written while the demand waits).
    key = (user.pk, ticket.owner_place_id, ticket.owner_department_id, ticket.status)
    shown = cache.get(key)
    if shown is None:
        shown = cache[key] = as_written if user.has_perm(READ_PERM, ticket) else _scrubber(ticket)
    return shown


def shown_text(user, ticket, text):
    """`text`, a free text of `ticket` (its title, description, reply, a note), as `user`
    reads it."""
    return text_for(user, ticket)(text)


def _scrubber(ticket):
    names = (ticket.requester_name,)
    return lambda text: scrub_text(text, names)


def exact_address(user, ticket, channel, request):
    """The address as typed (柳荫里2号楼3单元) for a viewer holding
    `tickets.read_requester_text` who may see the requester (the holding unit's handlers
    go there to fix it), logged as a full view of the address; None for anyone else, and
    when there is no address."""
    if not ticket.address or not user.has_perm(READ_PERM, ticket):
        return None
    if not user.has_perm(ticket.PERSONAL_DATA_PERM, ticket):
        return None  # the requester's own login: their own words, not a work view
    values = reveal(
        user, ticket, ["address"], channel, request, purpose=gettext("handling the ticket")
    )
    return values["address"]
