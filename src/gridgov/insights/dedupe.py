"""Near-duplicate tickets: same matter, same place or requester, within a window.

Each ticket's text gets a MinHash signature (datasketch; 64 permutations of
its character bigrams), stored with 16 LSH band keys of 4 rows each. A new
demand finds its candidates with one query uniting three indexed matches — tickets sharing a
band key (near-identical text anywhere), tickets at the same building or in
the same grid, and tickets of the same requester — all within the window
(settings.GRIDGOV_DUPLICATE_WINDOW_DAYS, default 30), never all pairs. Each
candidate is scored:

    score = text similarity (estimated Jaccard of bigrams)
          + 0.25 same building, or 0.15 same grid
          + 0.10 same requester

and suggested when the score reaches settings.GRIDGOV_DUPLICATE_MIN_SCORE
(default 0.45): near-identical text alone (≥ 0.45), a similar text at the same
building (≥ 0.2), or the same requester saying something fairly similar (≥ 0.35: measured on
the shared data, docs/insights.md — below that one prolific writer's different
requests start to match).

At intake (`callers=True`) the caller's own open tickets are listed whatever
their score (重复来电: the operator tells the caller where theirs stands); merge
suggestions keep to the threshold.

Titles get band keys of their own: beside the intake form (`title=`), a title typed
before any description is compared with the other tickets' titles, like with like — against
their title and description it shares too few bigrams to be found. A near-identical title
(≥ TITLE_MATCH) counts as the text where the place does not contradict it: with no place
known yet, it is listed, and every match then says 地点未知 (`place_unknown`).
"""

import datetime as dt
import hashlib
import re
import struct
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import transaction

from . import textprep

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SEED = 20200311
SCHEME = "affine32"  # datasketch ≥ 2.0: 32-bit values, stored as 4 bytes each
BUILDING_BONUS = 0.25
GRID_BONUS = 0.15
REQUESTER_BONUS = 0.10
# The same specific category (below the first level) at the same building or grid: a second
# caller about the same broken street lamp words it differently, and their texts share little.
# With the building's bonus it reaches the threshold alone (a suggestion: the operator
# decides); across a grid some shared text is still needed.
CATEGORY_BONUS = 0.2
# Beside another reason (building, grid …), "similar text" is said from this similarity on.
# Below it the text is still named when it carries the match: when it reaches the threshold
# alone, or when nothing else applies (find_duplicates).
TEXT_REASON = 0.5
MAX_SUGGESTIONS = 5
MAX_CALLER_TICKETS = 10  # a caller's own open tickets listed at intake beyond the best matches
MAX_CANDIDATES = 300
# A typed title near-identical to another ticket's title: measured on the shared data
# (bench/dedupe_titles.py), pairs of messages within 30 days whose titles reach 0.8 were about
# the same matter 40 times in 40, 9 of them with whole texts below the threshold. Titles of
# fewer bigrams (路灯坏了, 噪音扰民) name a kind of matter, not one matter: not compared.
TITLE_MATCH = 0.8
TITLE_MIN_GRAMS = 5
# Half a text's bands suffice for titles: two titles at TITLE_MATCH share one of 8 bands of 4
# rows with probability 1 - (1 - 0.8^4)^8 = 0.985 (0.997 at 0.85), and every intake writes
# 8 rows fewer.
TITLE_BANDS = 8


def window_days():
    return float(getattr(settings, "GRIDGOV_DUPLICATE_WINDOW_DAYS", 30))


def min_score():
    return float(getattr(settings, "GRIDGOV_DUPLICATE_MIN_SCORE", 0.45))


@lru_cache(maxsize=1)
def _permutations():
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def shingles(text):
    """32-bit hashes of the character bigrams of the normalised text (punctuation kept out)."""
    return np.unique(_bigram_hashes(text))


def _bigram_hashes(text):
    """shingles(text), some perhaps more than once: the bigram keys as
    textprep.ngram_keys([text], 2, 2) makes them, for one text."""
    cps = textprep.text_code_points(_strip(text)).astype(np.uint64)
    keys = (cps[:-1] << textprep.SHIFT) | cps[1:]
    return textprep._mix(keys) & np.uint64(0xFFFFFFFF)


_PUNCT = set(" ,.!?;:，。！？；：、\"'“”‘’()（）[]【】<>《》-—_~…·")
# One regex substitution, not a Python step per character: 21 → 4 µs for a corpus text.
_PUNCT_RE = re.compile("[" + re.escape("".join(sorted(_PUNCT))) + "]")


def _strip(text):
    return _PUNCT_RE.sub("", text or "")


@lru_cache(maxsize=256)  # intake computes it for the search, then again for the index
def signature(text):
    """The MinHash values (uint32 array of NUM_PERM) of a text; None when it has no bigram.

    The array is shared by the cache: read it, never write to it.
    """
    values = _bigram_hashes(text)  # a hash twice changes no minimum: not made unique
    if len(values) == 0:
        return None
    values = _minhash(values.astype(np.uint32))
    values.flags.writeable = False
    return values


def _minhash(hashes):
    """datasketch's affine32 MinHash of 32-bit hashes (its update_batch: each hash mixed
    by murmur3's finaliser, then h -> a * h + b mod 2^32 per permutation, the minimum
    kept), computed here in three numpy steps: building a datasketch MinHash per text cost
    more than the arithmetic (a test checks both agree bit for bit)."""
    a, b = _permutations()
    h = hashes.reshape(-1, 1)
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    h = h ^ (h >> np.uint32(16))
    return (h * a + b).min(axis=0)


def band_keys(values, first=0, bands=BANDS):
    """One signed 64-bit key per LSH band (fits a PostgreSQL bigint), of the first `bands`
    bands. `first`: the bands' first number, BANDS for a title's (title_band_keys), so its
    keys never meet a text's."""
    # The values' bytes once, then a slice per band: a numpy slice and conversion per band
    # cost more than its hash.
    raw, width = values[: bands * ROWS].astype("<u4").tobytes(), 4 * ROWS
    blake2b, unpack_key = hashlib.blake2b, _KEY.unpack
    return [
        unpack_key(
            blake2b(
                bytes((first + band,)) + raw[band * width : (band + 1) * width], digest_size=8
            ).digest()
        )[0]
        for band in range(bands)
    ]


_KEY = struct.Struct("<q")


@lru_cache(maxsize=256)  # intake computes them for the search, then again for the index
def text_band_keys(text):
    """band_keys(signature(text)) as a tuple; () for a text with no bigram."""
    values = signature(text)
    return tuple(band_keys(values)) if values is not None else ()


def title_band_keys(title):
    """The band keys of a title (none for one too short to compare: TITLE_MIN_GRAMS)."""
    values = signature(title) if len(title_grams(title)) >= TITLE_MIN_GRAMS else None
    return band_keys(values, first=BANDS, bands=TITLE_BANDS) if values is not None else []


def title_grams(title):
    """The set of character bigrams of a normalised title, punctuation kept out: titles are
    short, so their similarity is computed exactly (in Python, a few µs each)."""
    text = _strip(textprep.normalise(title or ""))
    return {text[i : i + 2] for i in range(len(text) - 1)}


def title_similarity(grams, title):
    """Jaccard similarity of `grams` (title_grams) and another title's bigrams."""
    other = title_grams(title)
    if not grams or not other:
        return 0.0
    return len(grams & other) / len(grams | other)


def similarity(a, b):
    """Estimated Jaccard similarity of two signatures."""
    if a is None or b is None:
        return 0.0
    return float(np.mean(a == b))


def pack(values):
    return values.astype("<u4").tobytes()


def unpack(blob):
    return np.frombuffer(bytes(blob), dtype="<u4")


def requester_key(person_id=None, phone=""):
    """Who asked, without storing the phone: a salted hash of the phone's digits, else the
    person id. The phone first: it is what an operator types when the same resident calls
    again, whether their first ticket named their person record or only their number."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) >= 5:
        salt = settings.SECRET_KEY.encode()
        return "t:" + hashlib.blake2b(digits.encode(), key=salt[:64], digest_size=12).hexdigest()
    return f"p:{person_id}" if person_id else ""


def ticket_text(ticket):
    return f"{ticket.title} {ticket.description}".strip()


# --- the database index -------------------------------------------------------------------


def index_ticket(ticket, new=False):
    """Store (or replace) the signature and band keys of a ticket; `new`: it has none yet."""
    from .models import SignatureBand, TextSignature

    index = _index_values(ticket)
    if index is None:
        return None
    fields, keys = index
    if new:  # every intake: two plain statements, no model instances
        return _insert_signature(ticket, fields, keys)
    # One transaction, the signature row locked (update_or_create) until its bands are
    # replaced: two refreshes indexing one ticket at once doubled its bands, and a failure
    # between the two statements left it with none.
    with transaction.atomic():
        sig, _created = TextSignature.objects.update_or_create(ticket=ticket, defaults=fields)
        sig.bands.all().delete()
        SignatureBand.objects.bulk_create(
            [SignatureBand(signature=sig, key=k, created_at=ticket.created_at) for k in keys]
        )
    return sig


def _index_values(ticket):
    """(the signature row's fields, the band keys) of a ticket; None for a text with no
    bigram."""
    text = ticket_text(ticket)
    values = signature(text)
    if values is None:
        return None
    place = ticket.place
    fields = {
        "minhash": pack(values),
        "requester_key": requester_key(ticket.requester_id, ticket.requester_phone),
        "place_path": place.path if place is not None else "",
        "created_at": ticket.created_at,
    }
    return fields, [*text_band_keys(text), *title_band_keys(ticket.title)]


def index_with_new_ticket(ticket):
    """(CTEs, params) writing a new ticket's signature and bands in the statement that
    inserts the ticket (core.inserts.WRITTEN_WITH, PostgreSQL: its id read from `new`), as
    _insert_signature writes them after it; None for a text with no signature."""
    from django.db import connection

    from .models import SignatureBand, TextSignature

    index = _index_values(ticket)
    if index is None:
        return None
    fields, keys = index
    at = connection.ops.adapt_datetimefield_value(fields["created_at"])
    columns = "ticket_id, minhash, requester_key, place_path, created_at"
    ctes = (
        f"gridgov_sig AS (INSERT INTO {TextSignature._meta.db_table} ({columns}) "
        "VALUES ((SELECT id FROM new), %s, %s, %s, %s) "
        "ON CONFLICT (ticket_id) DO NOTHING RETURNING id), "
        f"gridgov_bands AS (INSERT INTO {SignatureBand._meta.db_table} "
        "(signature_id, key, created_at) "
        "SELECT gridgov_sig.id, band.key, %s FROM gridgov_sig, "
        f"(VALUES {', '.join(['(%s::bigint)'] * len(keys))}) AS band (key))"
    )
    values = [fields["minhash"], fields["requester_key"], fields["place_path"], at]
    return ctes, [*values, at, *keys]


def _insert_signature(ticket, fields, keys):
    from django.db import connection

    from .models import SignatureBand, TextSignature

    at = connection.ops.adapt_datetimefield_value(fields["created_at"])
    columns = ("ticket_id", "minhash", "requester_key", "place_path", "created_at")
    values = [ticket.pk, fields["minhash"], fields["requester_key"], fields["place_path"], at]
    if connection.vendor == "postgresql":
        # One statement for both tables (a data-modifying WITH): one round trip fewer on
        # every intake. A ticket indexed already keeps its signature (nothing written, None):
        # the statement cannot fail on its data, so intake needs no savepoint around it
        # (insights.intake.index_new_ticket).
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH sig AS (INSERT INTO {TextSignature._meta.db_table} "
                f"({', '.join(columns)}) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (ticket_id) DO NOTHING RETURNING id) "
                f"INSERT INTO {SignatureBand._meta.db_table} (signature_id, key, created_at) "
                f"SELECT sig.id, band.key, %s FROM sig, "
                f"(VALUES {', '.join(['(%s::bigint)'] * len(keys))}) AS band (key) "
                "RETURNING signature_id",
                [*values, at, *keys],
            )
            row = cursor.fetchone()
        return TextSignature(id=row[0], ticket=ticket, **fields) if row is not None else None
    rows = ", ".join(["(%s, %s, %s)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TextSignature._meta.db_table} ({', '.join(columns)}) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id",
            values,
        )
        (sig_id,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {SignatureBand._meta.db_table} (signature_id, key, created_at) "
            f"VALUES {rows}",
            [v for key in keys for v in (sig_id, key, at)],
        )
    return TextSignature(id=sig_id, ticket=ticket, **fields)


def index_missing(limit=5000):
    """Signatures for tickets that have none (bulk imports skip the signal). Returns how many."""
    from gridgov.tickets.models import Ticket

    done = 0
    missing = Ticket.objects.filter(signature__isnull=True).select_related("place")
    for ticket in missing.order_by("-created_at")[:limit]:
        if index_ticket(ticket) is not None:
            done += 1
    return done


@dataclass
class Candidate:
    ticket_id: int
    code: str = ""
    score: float = 0.0
    text: float = 0.0
    reasons: list = field(default_factory=list)
    place_unknown: bool = False  # listed on its text alone, the demand's place not known yet


def _candidate_rows(keys, since, now, who, path, exact_path, exclude, resolved=True, title_keys=()):
    """(ticket_id, code, minhash, place_path, requester_key, category_id, title; "" without
    title_keys) of open tickets in the window that share a band key, the requester, the
    place or a title band key: at most MAX_CANDIDATES, those sharing a band (near-identical
    texts) first, then the requester's, then the place's, then near-identical titles (a
    title names a kind of matter more often than a text does), each the most recent first.
    `resolved`: resolved tickets (waiting for their callback) among them.

    One branch per signal, united: each reads only its own index range (band key,
    requester, place path, each with the time), where one WHERE … OR … made PostgreSQL
    scan every signature of the window (a month of a whole city). Hand-written:
    it runs on every intake, and the ORM cost more than the query.
    """
    from django.db import connection

    from gridgov.tickets.models import FINAL_STATUSES, Status, Ticket

    from .models import SignatureBand, TextSignature

    ops = connection.ops
    since, now = ops.adapt_datetimefield_value(since), ops.adapt_datetimefield_value(now)
    sig, band = TextSignature._meta.db_table, SignatureBand._meta.db_table
    window = "created_at >= %s AND created_at <= %s"
    # The second column ranks the branches for the LIMIT: near-identical texts, then the
    # caller's own tickets (listed at intake whatever their score), then the place's.
    branches, params = [], []
    if keys:
        branches.append(
            f"SELECT signature_id AS id, 0 AS prio FROM {band} "
            f"WHERE key IN ({', '.join(['%s'] * len(keys))}) AND {window}"
        )
        params += [*keys, since, now]
    if who:
        branches.append(f"SELECT id, 1 AS prio FROM {sig} WHERE requester_key = %s AND {window}")
        params += [who, since, now]
    if path and exact_path:
        branches.append(f"SELECT id, 2 AS prio FROM {sig} WHERE place_path = %s AND {window}")
        params += [path, since, now]
    elif path and connection.vendor == "postgresql":
        # The prefix as a range of the pattern_ops index, which a prepared statement's generic
        # plan can use: with `LIKE %s` the pattern is unknown when the plan is made, so the
        # plan read every signature of the window (a month of a whole city) and filtered
        # them by path. Measured: 2,100 tickets, 0.91 instead of 1.33 ms, and no longer
        # growing with the window.
        branches.append(
            f"SELECT id, 2 AS prio FROM {sig} "
            f"WHERE place_path ~>=~ %s AND place_path ~<~ %s AND {window}"
        )
        params += [path, _prefix_end(path), since, now]
    elif path:
        branches.append(
            f"SELECT id, 2 AS prio FROM {sig} WHERE place_path LIKE %s ESCAPE '\\' AND {window}"
        )
        params += [_like_prefix(path), since, now]
    if title_keys:
        branches.append(
            f"SELECT signature_id AS id, 3 AS prio FROM {band} "
            f"WHERE key IN ({', '.join(['%s'] * len(title_keys))}) AND {window}"
        )
        params += [*title_keys, since, now]
    if not branches:
        return []
    finals = list(FINAL_STATUSES) if resolved else [*FINAL_STATUSES, Status.RESOLVED]
    # Titles are compared only with a typed title (the intake panel): filing would read up to
    # MAX_CANDIDATES of them for nothing.
    title = "t.title" if title_keys else "''"
    sql = (
        f"WITH near AS ({' UNION ALL '.join(branches)}) "
        "SELECT s.ticket_id, t.code, s.minhash, s.place_path, s.requester_key, t.category_id, "
        f"{title} "
        "FROM (SELECT id, MIN(prio) AS prio FROM near GROUP BY id) n "
        f"JOIN {sig} s ON s.id = n.id JOIN {Ticket._meta.db_table} t ON t.id = s.ticket_id "
        f"WHERE t.status NOT IN ({', '.join(['%s'] * len(finals))})"
    )
    params += finals
    if exclude is not None:
        sql += " AND s.ticket_id <> %s"
        params.append(exclude)
    sql += " ORDER BY n.prio, s.created_at DESC LIMIT %s"
    params.append(MAX_CANDIDATES)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _prefix_end(text):
    """The least string above every string that starts with `text` (byte order, as UTF-8
    keeps code-point order): its last character, one up. Paths end with "/", so "0"."""
    return text[:-1] + chr(ord(text[-1]) + 1)


def _like_prefix(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def find_duplicates(
    text,
    place=None,
    requester=None,
    phone="",
    now=None,
    exclude=None,
    callers=False,
    category=None,
    resolved=True,
    title="",
    at=None,
):
    """Open tickets that look like the same matter, best first: [Candidate].

    `callers`: also the requester's own open tickets below the threshold (and with no
    text at all), for the intake panel. `category`: the demand's, when known.
    `resolved`: resolved tickets (waiting for their callback) count as open; without,
    only those still being handled (what a ticket can be merged into).
    `title`: the demand's title, for the intake panel: a near-identical title (TITLE_MATCH)
    counts as the text, unless the place is known and the other ticket is elsewhere; with no
    place known, the candidates are marked `place_unknown`. Filing and merge suggestions
    leave it out: their precision is the texts' (docs/insights.md).
    `at`: when the demand was made, for a ticket already filed (its page): the window is
    the days either side of it, so two tickets list each other whichever page is opened.
    Without it, the window ends `now` (a demand being made).
    """
    from django.utils import timezone

    from gridgov.places.models import Level

    values = signature(text)
    typed_title = title_grams(title) if title else set()
    title_keys = title_band_keys(title) if title else []  # none for a short title
    # A person named without a phone (a resident's own report) is keyed by the phone on
    # their record, as their ticket will be (intake keeps it).
    who = requester_key(
        getattr(requester, "pk", requester), phone or getattr(requester, "phone", "")
    )
    callers = callers and bool(who)
    if values is None and not callers and not title_keys:
        return []
    now = now or timezone.now()
    window = dt.timedelta(days=window_days())
    since = (at or now) - window
    if at is not None:
        # Up to the window after it, not up to the ticket's last change: ended there, an
        # older ticket's page never listed a later demand that lists it (demo: 11-09's
        # 搅拌厂 letter and one of 11-29 sharing a sentence, 0.48 on the newer page only).
        now = at + window
    building = place if place is not None and place.level == Level.BUILDING else None
    grid = place.ancestor_at(Level.GRID) if place is not None else None
    specific = category.pk if category is not None and category.depth > 1 else None

    rows = _candidate_rows(
        list(text_band_keys(text)),
        since,
        now,
        who,
        grid.path if grid is not None else (building.path if building is not None else None),
        exact_path=grid is None and building is not None,
        exclude=exclude,
        resolved=resolved,
        title_keys=title_keys,
    )
    if not rows:
        return []
    # One array of all candidates' signatures: one allocation rather than one per row.
    if values is None:
        text_sims = np.zeros(len(rows))
    else:
        stored = unpack(b"".join(r[2] for r in rows)).reshape(len(rows), -1)
        text_sims = (stored == values).mean(axis=1)
    threshold = min_score()
    building_path = building.path if building is not None else None
    grid_path = grid.path if grid is not None else None
    place_known = grid_path is not None or building_path is not None
    found, own = [], []
    # Scored first, described (reasons, a Candidate) only when listed: most of the up to
    # MAX_CANDIDATES rows (a grid's month of tickets) are not, and describing each of them
    # took most of this loop's time on every intake.
    for row, text_sim in zip(rows, text_sims.tolist(), strict=True):
        ticket_id, code, _minhash, path, key, category_id, other_title = row
        place = None
        if building_path is not None and path == building_path:
            place = "building"
        elif grid_path is not None and path.startswith(grid_path):
            place = "grid"
        by_title = False
        if title_keys and (place is not None or not place_known):
            # Like with like: a title typed before any description against the other's title
            # (against its title and description it shares too few bigrams).
            title_sim = title_similarity(typed_title, other_title)
            if title_sim >= TITLE_MATCH and title_sim > text_sim:
                text_sim, by_title = title_sim, True
        score = text_sim + {"building": BUILDING_BONUS, "grid": GRID_BONUS, None: 0}[place]
        same_category = bool(specific) and category_id == specific and place is not None
        if same_category:
            score += CATEGORY_BONUS
        mine = bool(who) and key == who
        if mine:
            score += REQUESTER_BONUS
        if score < threshold and not (callers and mine):
            continue
        reasons = [place] if place else []
        if same_category:
            reasons.append("category")
        if mine:
            reasons.append("requester")
        if text_sim >= min(TEXT_REASON, threshold) or (text_sim > 0 and not reasons):
            # A match at 0.45–0.5 on the text alone was listed with no reason at all.
            reasons.insert(0, "title" if by_title else "text")
        candidate = Candidate(
            ticket_id, code, round(min(score, 1.0), 3), round(text_sim, 3), reasons
        )
        # Beside the intake form, before an address: a match on the words alone may be the
        # same matter somewhere else, which the operator asks the caller about.
        candidate.place_unknown = bool(title) and not place_known and not mine
        (found if score >= threshold else own).append(candidate)
    best = sorted(found, key=lambda c: (-c.score, -c.ticket_id))[:MAX_SUGGESTIONS]
    if not callers:
        return best
    shown = {c.ticket_id for c in best}
    own += [c for c in found if "requester" in c.reasons and c.ticket_id not in shown]
    own.sort(key=lambda c: (-c.score, -c.ticket_id))
    return sorted(best + own[:MAX_CALLER_TICKETS], key=lambda c: (-c.score, -c.ticket_id))


# --- plain records (CSV measurement, hot issues) ---------------------------------------------


def same_requester_pairs(records, days=30.0, min_similarity=0.3):
    """Pairs (i, j, similarity) of records by the same `user` within `days` whose texts look alike.

    `records`: dicts with user, time (datetime) and text. Grouped by user, so
    the work is the sum of each user's pairs, not all pairs.
    """
    by_user = {}
    for i, record in enumerate(records):
        if record.get("user"):
            by_user.setdefault(record["user"], []).append(i)
    pairs = []
    window = dt.timedelta(days=days)
    signatures = {}
    for indexes in by_user.values():
        if len(indexes) < 2:
            continue
        for i in indexes:
            if i not in signatures:
                signatures[i] = signature(records[i]["text"])
        indexes = sorted(indexes, key=lambda i: records[i]["time"])
        for a, i in enumerate(indexes):
            for j in indexes[a + 1 :]:
                if records[j]["time"] - records[i]["time"] > window:
                    break
                sim = similarity(signatures[i], signatures[j])
                if sim >= min_similarity:
                    pairs.append((i, j, sim))
    return pairs
