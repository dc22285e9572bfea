"""热点问题 (未诉先办): cluster demands by matter and place, rank the clusters by heat.

Clustering (`cluster`): each demand is the TF-IDF of character 2–3 grams of
its title and the start of its body. Two demands are linked when they are
within the time window of each other and either their texts are very similar
(cosine ≥ 0.45) and no different places are named, or they are fairly
similar (≥ 0.25) and name the same place
(the same compound, road, community … found by locations.place_label, or
located at the same place of the tree). Clusters are the connected groups;
groups at one compound or road (one grid) whose averaged matters are alike
(`_merge_alike`) are then joined.

Copies: a message posted again word for word (same title and body, by its writer or
another) is one more demand (count, requesters, heat) but no more evidence about words
or places: the TF-IDF's document frequencies, the groups' averaged matters, the
representative title and the place label all count distinct texts (`_wording`), so a
copy joins its original's issue and neither splits nor cools it.

Heat (`heat`, docs/insights.md):

    heat = 10 × ( 3·ln(1 + U) + 1·ln(1 + N) + 1.5·ln(1 + r) + 1·ln(1 + R) ) / 6.5

where N is the number of demands, U the number of distinct requesters, r the
demands per week over the cluster's active period (at least a week), and R
the public reactions (likes + dislikes). Distinct requesters weigh most: ten
people saying it once is hotter than one person saying it ten times. Every
term is a logarithm, so no single signal — a message with thousands of likes,
a burst from one user — can swamp the others. A cluster from a single requester that
nobody else reacted to is a repeat call, merged at intake, not a hot issue.
"""

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, diags
from scipy.sparse.csgraph import connected_components

from . import locations, textprep

HIGH_SIMILARITY = 0.45
COMMUNITY_DEPTH = 3  # district / street / community
SAME_NAME_PREFIX = 4  # place names sharing their first 4 characters name one place
PLACE_SIMILARITY = 0.25
# Titles alone, the places taken out: the matter. In a street's few tickets the bodies,
# each its own story, share little where the titles say the same (投诉…捆绑销售车位, …违法
# 捆绑销售车位): most of a 12-message cluster of the data set stayed apart on texts alone.
TITLE_SIMILARITY = 0.35
# Districts, counties, the city and streets or towns named in a title: where, not what.
ADMIN_AREA = re.compile(r"[A-Z]\d*[市区县]|[\u4e00-\u9fff]{2,4}?(?:街道|镇)")
# One facility under several head nouns: 搅拌站 = 搅拌厂, 垃圾站 = 垃圾场 = 垃圾中转站. A list,
# not every X站/X厂/X场: 汽车站 (a bus station) and 汽车厂 (a car factory) are two things.
FACILITY = re.compile(r"(搅拌|垃圾|碎石|砂石|沙石)(?:中转|转运|收集)?[站厂场]")
# Two clusters at one compound or road whose averaged matters are this alike are one matter.
CLUSTER_SIMILARITY = 0.3
RARE_NGRAMS_FROM = 500  # distinct texts: from this many, n-grams seen in one only are dropped
NEAR = ("compound", "road")  # place labels narrow enough to tie one requester's letters
WEIGHTS = {"requesters": 3.0, "count": 1.0, "rate": 1.5, "reactions": 1.0}


@dataclass
class Record:
    id: object
    title: str
    body: str = ""
    time: dt.datetime | None = None
    user: str = ""
    likes: int = 0
    dislikes: int = 0
    place_key: str = ""  # a place of the tree (path) when known
    place_label: str = ""  # a place named in the text
    place_level: str = ""  # its kind (locations.LABEL_LEVELS), when found in the text
    label_in_title: bool = True
    category: object = None  # tickets: the category, where the source has one
    # May the requester link (_repeats) tie this record? Tickets: only under a specific
    # category, since a first-level one (商贸旅游) holds a person's unrelated matters.
    links_requester: bool = True
    name: str = ""  # the requester's name, masked where a title names them (_public_title)


@dataclass
class Issue:
    records: list
    title: str
    place_label: str
    first: dt.datetime
    last: dt.datetime
    count: int
    requesters: int
    reactions: int
    rate_per_week: float
    heat: float
    trend: list = field(default_factory=list)
    place_key: str = ""

    @property
    def ids(self):
        return [r.id for r in self.records]


def heat(count, requesters, reactions, first, last, weights=None):
    w = {**WEIGHTS, **(weights or {})}
    days = max((last - first).total_seconds() / 86400, 7.0)
    rate = count / days * 7
    total = (
        w["requesters"] * math.log1p(requesters)
        + w["count"] * math.log1p(count)
        + w["rate"] * math.log1p(rate)
        + w["reactions"] * math.log1p(reactions)
    )
    return round(10 * total / sum(w.values()), 2), rate


def _text(record):
    return f"{record.title} {record.title} {record.body[:200]}"


def _wording(record):
    """What makes two records copies of one message: their words (and so the place read in
    them). A copy is one more demand, not one more text saying its words are common."""
    return (record.title, record.body, record.place_label, record.place_level)


def _distinct(records, indexes):
    """`indexes` less the copies of an earlier one's wording (_wording)."""
    seen = {}
    for i in indexes:
        seen.setdefault(_wording(records[i]), i)
    return list(seen.values())


def _matter(record):
    """The title without its place (label and areas), which _same_place judges apart, and
    with one name for a facility named several ways."""
    title = record.title.replace(record.place_label, " ") if record.place_label else record.title
    return FACILITY.sub(r"\1站", ADMIN_AREA.sub(" ", title))


def _same_place(a, b, text_b):
    """True: the same place; False: two different places; None: cannot tell.

    Places of the tree count as the same down to the community (a matter such
    as a noisy building site concerns the buildings around it too).
    """
    if a.place_key and b.place_key:
        common = _common_prefix(a.place_key, b.place_key)
        return common.count("/") - 1 >= COMMUNITY_DEPTH
    if a.place_label and b.place_label:
        return (
            a.place_label == b.place_label
            or _core(a.place_label) in text_b
            # 绿地海外滩二期 and 绿地海外滩小区: one compound written two ways.
            or len(_common_start(a.place_label, b.place_label)) >= SAME_NAME_PREFIX
        )
    return None


def _core(label):
    """绿地海外滩小区 → 绿地海外滩: the name without a generic compound suffix."""
    for suffix in ("小区", "花园", "家园", "新村", "公寓", "山庄"):
        if label.endswith(suffix) and len(label) - len(suffix) >= 3:
            return label[: -len(suffix)]
    return label


def _common_start(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _common_prefix(a, b):
    parts_a, parts_b = a.strip("/").split("/"), b.strip("/").split("/")
    common = []
    for x, y in zip(parts_a, parts_b, strict=False):
        if x != y:
            break
        common.append(x)
    return "/" + "".join(f"{c}/" for c in common) if common else "/"


def cluster(records, window_days=30.0):
    """Connected groups of similar records (lists of indexes), biggest first."""
    n = len(records)
    if n == 0:
        return [], None
    for r in records:
        if not r.place_label:
            r.place_label, r.place_level = locations.labelled_place(r.title)
            r.label_in_title = bool(r.place_label)
            if not r.place_label:
                r.place_label, r.place_level = locations.labelled_place(r.body[:300])
    texts = [_text(r) for r in records]
    # Document frequencies over distinct texts: a copy of a message counted as one more text
    # lowered its n-grams' weight and cut a link a chain of single links depended on.
    distinct = _distinct(records, range(n))
    # n-grams seen once are noise in a city's month of messages, but in a street's few
    # tickets dropping them leaves only the shared words (小区), and every pair looks alike.
    min_df = 2 if len(distinct) >= RARE_NGRAMS_FROM else 1
    features = textprep.CharTfidf((2, 3), min_df=min_df)
    features = features.fit([texts[i] for i in distinct]).transform(texts)
    similar = (features @ features.T).tocoo()
    keep = (similar.row < similar.col) & (similar.data >= PLACE_SIMILARITY)
    rows, cols, sims = similar.row[keep].tolist(), similar.col[keep].tolist(), similar.data[keep]
    pairs = {(i, j): s for i, j, s in zip(rows, cols, sims.tolist(), strict=True)}
    # Pairs whose matters (titles) are alike count as texts alike at the same place.
    matters = [_matter(r) for r in records]
    matters = (
        textprep.CharTfidf((2, 3), min_df=min_df)
        .fit([matters[i] for i in distinct])
        .transform(matters)
    )
    alike = (matters @ matters.T).tocoo()
    keep = (alike.row < alike.col) & (alike.data >= TITLE_SIMILARITY)
    for pair in zip(alike.row[keep].tolist(), alike.col[keep].tolist(), strict=True):
        pairs[pair] = max(pairs.get(pair, 0.0), PLACE_SIMILARITY)
    edges = []
    window = dt.timedelta(days=window_days)
    full = [f"{r.title} {r.body}" for r in records]
    for (i, j), s in pairs.items():
        a, b = records[i], records[j]
        if a.time and b.time and abs(a.time - b.time) > window:
            continue
        same = _same_place(a, b, full[j]) or _same_place(b, a, full[i])
        if same or (s >= HIGH_SIMILARITY and same is None):
            edges.append((i, j))
    edges += _repeats(records, full, window)
    edges += _copies(records, full, window)
    graph = coo_matrix(
        (np.ones(len(edges)), ([e[0] for e in edges], [e[1] for e in edges])), shape=(n, n)
    )
    _count, labels = connected_components(graph, directed=False)
    groups = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    groups = _merge_alike(records, list(groups.values()), matters, window)
    return sorted(groups, key=len, reverse=True), features


def _merge_alike(records, groups, matters, window):
    """Clusters at one compound or road (tickets: one grid) within the window of each other
    whose matters, averaged over their members, are alike, joined: one matter told two ways
    (附近搅拌站噪音扰民, 附近违规乱建混凝土搅拌站谁来监管) whose letters are alike within each
    group and seldom across. Only groups of two or more: their average tells the matter,
    where two single letters are judged by the pairwise links (a lower bar for them joined
    a compound's letters about planning, gas and quality). Members are distinct texts: a
    letter and its copy are one letter, and a copy weighed its text twice in the average."""
    big, texts, small = [], [], []
    for g in groups:
        distinct = _distinct(records, g)
        if len(distinct) >= 2:
            big.append(g)
            texts.append(distinct)
        else:
            small.append(g)
    if len(big) < 2:
        return groups
    rows = [k for k, t in enumerate(texts) for _ in t]
    weights = [1.0 / len(t) for t in texts for _ in t]
    pick = csr_matrix(
        (weights, (rows, [i for t in texts for i in t])), shape=(len(big), len(records))
    )
    centroids = pick @ matters
    norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1)).ravel())
    centroids = diags(1.0 / np.where(norms > 0, norms, 1.0)) @ centroids
    alike = (centroids @ centroids.T).tocoo()
    keep = (alike.row < alike.col) & (alike.data >= CLUSTER_SIMILARITY)
    places = [_group_place(records, g) for g in big]
    times = [[records[i].time for i in g if records[i].time] for g in big]
    parent = list(range(len(big)))

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in zip(alike.row[keep].tolist(), alike.col[keep].tolist(), strict=True):
        if times[a] and times[b]:
            gap = max(min(times[b]) - max(times[a]), min(times[a]) - max(times[b]))
            if gap > window:
                continue
        if _one_place(places[a], places[b]):
            parent[root(a)] = root(b)
    joined = {}
    for k, g in enumerate(big):
        joined.setdefault(root(k), []).extend(g)
    return [sorted(g) for g in joined.values()] + small


def _group_place(records, group):
    """(label, level, path) of a cluster: the place its members name most often in their
    titles (else bodies), as mine() labels it (`_most_named`), and the deepest place all of
    them are located under ("" unless every member is located)."""
    members = [records[i] for i in group]
    named = _most_named(
        [r for r in members if r.label_in_title] or members,
        lambda r: (r.place_label, r.place_level) if r.place_label else None,
    )
    label, level = named or ("", "")
    paths = [r.place_key for r in members]
    path = ""
    if all(paths):
        path = paths[0]
        for other in paths[1:]:
            path = _common_prefix(path, other)
    return label, level, path


def _most_named(members, value):
    """The value (not None) that most distinct texts among `members` give (_wording: copies
    of a letter name its place once, as they tell its matter once); ties go to the value
    named earliest, then the least (a copy, as early as its original or later, changes
    neither)."""
    texts, earliest = {}, {}
    for r in members:
        v = value(r)
        if v is None:
            continue
        texts.setdefault(v, set()).add(_wording(r))
        when = r.time or dt.datetime.min
        earliest[v] = min(earliest.get(v, when), when)
    if not texts:
        return None
    return min(texts, key=lambda v: (-len(texts[v]), earliest[v], v))


def _one_place(a, b):
    """Two clusters' places (_group_place) are one compound or road, or one grid."""
    (label_a, level_a, path_a), (label_b, level_b, path_b) = a, b
    if path_a and path_b:
        return _depth(_common_prefix(path_a, path_b)) > COMMUNITY_DEPTH
    if level_a in NEAR and level_b in NEAR:
        return (
            label_a == label_b
            or _core(label_a) in label_b
            or _core(label_b) in label_a
            or len(_common_start(label_a, label_b)) >= SAME_NAME_PREFIX
        )
    return False


def _repeats(records, full, window):
    """Pairs (i, j) of one requester writing again about the same place within the window,
    whatever the words: a resident who first wrote that the high-speed line runs 30 m from
    the compound and later that its noise will ruin the compound raises one matter."""
    by_user = {}
    for i, r in enumerate(records):
        # Down to a compound or road: one person's two letters about a district are not one matter.
        near = _depth(r.place_key) > COMMUNITY_DEPTH or r.place_level in NEAR
        if r.user and r.links_requester and near:
            by_user.setdefault(r.user, []).append(i)
    pairs = []
    for indexes in by_user.values():
        for x, i in enumerate(indexes):
            for j in indexes[x + 1 :]:
                a, b = records[i], records[j]
                if a.time and b.time and abs(a.time - b.time) > window:
                    continue
                # A resident's tickets about the lamp and the rubbish of one grid stay apart.
                if a.category != b.category:
                    continue
                if _same_place(a, b, full[j]) or _same_place(b, a, full[i]):
                    pairs.append((i, j))
    return pairs


def _copies(records, full, window):
    """Pairs (i, j) of one message posted again (_wording) within the window, at one place as
    far as we can tell: a copy joins its original even where their text links nothing (from
    RARE_NGRAMS_FROM texts, a text whose n-grams are all its own has no features)."""
    by_wording = {}
    for i, r in enumerate(records):
        by_wording.setdefault(_wording(r), []).append(i)
    pairs = []
    for indexes in by_wording.values():
        indexes.sort(key=lambda i: _order(records[i]))
        for i, j in zip(indexes, indexes[1:], strict=False):
            a, b = records[i], records[j]
            if a.time and b.time and abs(a.time - b.time) > window:
                continue
            if _same_place(a, b, full[j]) is not False:
                pairs.append((i, j))
    return pairs


def _order(record):
    """A record's place in a fixed order (time, then id) whatever the input's order."""
    return (record.time or dt.datetime.min, str(record.id))


def _representative(indexes, features, records):
    """The member most similar to the other letters, its copies counted once (a letter posted
    three times is not more typical of the matter); ties go to the most liked, then the
    earliest."""
    if len(indexes) == 1:
        return indexes[0]
    # Summed in a fixed order, and ties (copies of one text) not left to the input's order.
    indexes = sorted(indexes, key=lambda i: _order(records[i]))
    texts = _distinct(records, indexes)
    own = {_wording(records[i]): n for n, i in enumerate(texts)}
    column = [own[_wording(records[i])] for i in indexes]
    # In float64, where float32 products are exact: the pair (a, b) sums to what (b, a) does.
    # Each letter's similarity to itself left out: float32 rows are of unit length only to
    # about 1e-6, and that noise, not likes and time, chose between two equally central
    # letters (any two: 1 + s each). Rounded: what is left is summed in different orders.
    sims = (features[indexes].astype(np.float64) @ features[texts].astype(np.float64).T).tocsr()
    itself = np.asarray(sims[np.arange(len(indexes)), column]).ravel()
    centrality = np.round(np.asarray(sims.sum(axis=1)).ravel() - itself, 9)
    best = max(range(len(indexes)), key=lambda k: (centrality[k], records[indexes[k]].likes, -k))
    return indexes[best]


def mine(records, window_days=30.0, min_size=2, weights=None):
    """Hot issues among `records`, hottest first."""
    if not records:
        return []
    groups, features = cluster(records, window_days)
    issues = []
    for indexes in groups:
        if len(indexes) < min_size:
            continue
        members = sorted((records[i] for i in indexes), key=_order)
        times = [r.time for r in members if r.time]
        first, last = (min(times), max(times)) if times else (None, None)
        users = {r.user or f"#{r.id}" for r in members}
        reactions = sum(r.likes + r.dislikes for r in members)
        if len(users) < 2 and not reactions:
            continue  # one requester saying it again is a repeat call (merged), not a hot issue
        score, rate = (
            heat(len(members), len(users), reactions, first, last, weights) if times else (0, 0)
        )
        label, _level, _path = _group_place(records, indexes)
        place_key = _most_named(members, lambda r: r.place_key or None)
        trend = Counter(_day(t) for t in times)
        rep = records[_representative(indexes, features, records)]
        issues.append(
            Issue(
                records=members,
                title=rep.title,
                place_label=label,
                place_key=place_key or "",
                first=first,
                last=last,
                count=len(members),
                requesters=len(users),
                reactions=reactions,
                rate_per_week=round(rate, 2),
                heat=score,
                trend=sorted(trend.items()),
            )
        )
    # Ties in a fixed order (the earliest message first), not in the input's.
    issues.sort(key=lambda i: (-i.heat, -i.count, _order(i.records[0])))
    return issues


def _day(time):
    """The calendar day of a time where the demand was made: an aware time (tickets,
    stored in UTC) in the local time zone, else as given (CSV rows)."""
    from django.utils import timezone

    if timezone.is_aware(time):
        time = timezone.localtime(time)
    return time.date().isoformat()


def daily_series(trend):
    """A stored trend ([[day, count], …], only the days with demands) as one point per day
    from its first to its last, the quiet days 0: drawn as it was, a line ran at 1 through
    weeks without a demand and a bar stretched across the days between two."""
    counts = {str(day): count for day, count in trend or []}
    if not counts:
        return []
    day, last = dt.date.fromisoformat(min(counts)), dt.date.fromisoformat(max(counts))
    series = []
    while day <= last:
        series.append([day.isoformat(), counts.get(day.isoformat(), 0)])
        day += dt.timedelta(days=1)
    return series


# --- tickets in the database -----------------------------------------------------------------


def ticket_records(since, until, base=None):
    """Records for the tickets received in [since, until] (optionally under a place).

    Merged tickets count: each is a demand of its own requester, merged only so that one unit
    handles the matter. Left out, every merge the duplicate panel suggests took a demand and
    often a requester from the hot issue, and merging its tickets into one (nine neighbours
    about one mixing plant) made it vanish."""
    from gridgov.tickets.models import Ticket

    from . import dedupe

    tickets = Ticket.objects.filter(created_at__gte=since, created_at__lte=until).select_related(
        "place", "category"
    )
    if base is not None:
        tickets = tickets.filter(place__path__startswith=base.path)
    records = []
    for t in tickets.iterator(chunk_size=2000):
        place = t.place
        records.append(
            Record(
                id=t.pk,
                title=t.title,
                body=t.description,
                time=t.created_at,
                user=dedupe.requester_key(t.requester_id, t.requester_phone) or f"#{t.pk}",
                place_key=place.path if place is not None else "",
                category=t.category_id,
                links_requester=t.category is not None and t.category.depth > 1,
                name=t.requester_name,
            )
        )
    return records


def _public_title(issue):
    """The issue's title, one caller's words, as shown to everyone who sees the issue: a
    street's issue is listed to each of its communities, most of which may not see that
    caller's ticket, so phone, ID and room numbers and the callers' names are blanked out
    (masking.scrub_text, as for notifications and Open311)."""
    from gridgov.people.masking import scrub_text

    return scrub_text(issue.title, sorted({r.name for r in issue.records if r.name}))


def _street_of(path):
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:2]) + "/" if len(parts) >= 2 else path


def refresh(now=None, days=None, min_size=2):
    """Recompute the hot issues of the last `days` days; decisions on known ones are kept,
    but a dismissed one that as many new demands joined as make a hot issue comes back for
    a decision (`_back_after_dismissal`).

    Clustering runs per street (the unit that acts on a hot issue), so the work
    grows with the busiest street, not with the city. What the issues' rows need (the
    issues they continue, their places and categories, their tickets' links) is read
    and written for all issues at once: a handful of queries however many issues
    there are, where one round of queries per issue made a 30-day refresh of a
    500,000-ticket city 9,245 queries for 1,157 issues.
    """
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from gridgov.core import updates

    from .models import HotIssue

    now = now or timezone.now()
    days = days or float(getattr(settings, "GRIDGOV_HOT_ISSUE_WINDOW_DAYS", 30))
    since = now - dt.timedelta(days=days)
    records = ticket_records(since, now)
    by_street = {}
    for r in records:
        by_street.setdefault(_street_of(r.place_key) if r.place_key else "", []).append(r)
    issues = []
    for group in by_street.values():
        issues.extend(mine(group, window_days=days, min_size=min_size))
    places = _places_of(issues)
    tops = _top_categories() if issues else {}
    with transaction.atomic():
        _one_refresh_at_a_time()
        planned = _plan_keys(issues)
        rows, created, back = [], [], []
        for issue, key, existing in planned:
            place = _common_place(issue, places)
            # The commonest top-level category of its tickets, the latest ticket first.
            categories = Counter(
                tops[r.category] for r in reversed(issue.records) if r.category in tops
            )
            values = {
                "title": _public_title(issue)[:200],
                "place": place,
                "place_label": (place.name if place else issue.place_label)[:200],
                "category_id": categories.most_common(1)[0][0] if categories else None,
                "first_at": issue.first,
                "last_at": issue.last,
                "ticket_count": issue.count,
                "requester_count": issue.requesters,
                "reactions": issue.reactions,
                "heat": issue.heat,
                "trend": issue.trend,
                "refreshed_at": now,
            }
            hot = existing or HotIssue(key=key)
            for name, value in values.items():
                setattr(hot, name, value)
            rows.append((hot, issue.ids))
            if existing is None:
                created.append(hot)
            elif _back_after_dismissal(existing, issue, min_size):
                back.append(existing)
        updates.update([hot for hot, _ids in rows if hot.pk], REFRESHED_FIELDS)
        HotIssue.objects.bulk_create(created, batch_size=500)
        _link_tickets(rows)
        _put_back(back, now)
        seen = [hot.pk for hot, _ids in rows]
        # Undecided issues that no longer hold together are dropped; decided ones stay, and
        # so do reopened ones, whose decisions are on record. Locked first, then checked
        # again: a confirmation committed after the plain read chose them was deleted with
        # its issue (services.decide takes the same row lock, and after this refresh it
        # finds the issue gone and says so).
        stale = HotIssue.objects.filter(
            state=HotIssue.State.NEW, last_at__gte=since, decisions__isnull=True
        ).exclude(pk__in=seen)
        doomed = list(stale.select_for_update(of=("self",)).values_list("pk", flat=True))
        for chunk in _chunks(doomed):
            HotIssue.objects.filter(
                pk__in=chunk, state=HotIssue.State.NEW, decisions__isnull=True
            ).delete()
    return len(seen)


def _back_after_dismissal(hot, issue, min_size):
    """Whether a dismissed issue comes back for a decision: as many demands as make a hot
    issue came in after the dismissal. A dismissal held whatever followed: the matter could
    grow from 2 tickets to 20 under 已排除, off the list and the home page, which show those
    waiting for a decision. Demands received before it (an import, late) do not count."""
    from .models import HotIssue

    if hot.state != HotIssue.State.DISMISSED or hot.decided_at is None:
        return False
    return sum(1 for r in issue.records if r.time > hot.decided_at) >= min_size


def _put_back(issues, now):
    """Back to 待研判, each with a decision row of its own (by nobody: the refresh), unless
    someone decided on it since it was read (the row is locked now: _plan_keys)."""
    from .models import COMEBACK_NOTE, HotIssue, HotIssueDecision

    for hot in issues:
        changed = HotIssue.objects.filter(
            pk=hot.pk, state=HotIssue.State.DISMISSED, decided_at=hot.decided_at
        ).update(state=HotIssue.State.NEW, decided_by=None, decided_at=now, note=COMEBACK_NOTE)
        if changed:
            HotIssueDecision.objects.create(
                issue_id=hot.pk,
                action="reopen",
                from_state=HotIssue.State.DISMISSED,
                to_state=HotIssue.State.NEW,
                user=None,
                note=COMEBACK_NOTE,
                at=now,
            )


def _one_refresh_at_a_time():
    """Refreshes write one after another: two at once (the beat task and `gridgov
    hotissues --refresh`, or a slow one still running at the next hour) planned the same
    new keys, and the second failed on the unique key or deadlocked on the ticket links.
    The second waits, then plans its keys from what the first wrote."""
    from gridgov.core.locks import transaction_lock

    transaction_lock("gridgov.insights.hotissues.refresh")


BATCH = 2000  # ids in one IN (…) of the refresh's reads
# What a refresh writes on an issue (its state, decision and note stay).
REFRESHED_FIELDS = (
    "title",
    "place",
    "place_label",
    "category",
    "first_at",
    "last_at",
    "ticket_count",
    "requester_count",
    "reactions",
    "heat",
    "trend",
    "refreshed_at",
)


def _chunks(values, size=BATCH):
    values = sorted(values)
    return [values[i : i + size] for i in range(0, len(values), size)]


def _plan_keys(issues):
    """[(issue, key, stored HotIssue or None)]: which stored issue each new one continues
    (`_continued_key`), or its fresh key, in order, the stored rows locked. An issue already
    taken by an earlier one is no candidate for later ones, so the links read before any
    write decide every key."""
    from .models import HotIssue

    through = HotIssue.tickets.through
    shared = {}  # stored issue id → {ticket ids it holds among the issues'}
    holders = {}  # ticket id → {stored issue ids holding it}
    for chunk in _chunks({i for issue in issues for i in issue.ids}):
        for issue_id, ticket_id in through.objects.filter(ticket_id__in=chunk).values_list(
            "hotissue_id", "ticket_id"
        ):
            shared.setdefault(issue_id, set()).add(ticket_id)
            holders.setdefault(ticket_id, set()).add(issue_id)
    fresh = set()
    for n, issue in enumerate(issues):
        first = min(issue.ids)
        fresh |= {f"t{first}", f"t{first}.{n}"}
    stored = {}
    for chunk in _chunks(shared):
        stored.update({hot.key: hot for hot in HotIssue.objects.filter(pk__in=chunk)})
    for chunk in _chunks(fresh - set(stored)):
        stored.update({hot.key: hot for hot in HotIssue.objects.filter(key__in=chunk)})
    by_pk = {hot.pk: hot for hot in stored.values()}
    taken, used, planned = set(), set(), []
    for issue in issues:
        ids = set(issue.ids)
        near = {pk for i in ids for pk in holders.get(i, ())}
        key = _continued_key(ids, near - taken, shared, by_pk) or f"t{min(ids)}"
        if key in used:  # the earliest ticket's key went to the issue it continues
            key = f"t{min(ids)}.{len(used)}"
        used.add(key)
        existing = stored.get(key)
        if existing is not None:
            taken.add(existing.pk)
        planned.append((issue, key, existing))
    # The rows to be rewritten locked, as update_or_create locked each (services.decide
    # takes the same lock).
    for chunk in _chunks(taken):
        list(HotIssue.objects.select_for_update().filter(pk__in=chunk).values_list("pk"))
    return planned


def _continued_key(ids, candidates, shared, by_pk):
    """The key of the stored issue a cluster continues: the one sharing most of its tickets,
    a decided one first; None for a new matter. Keyed by the earliest ticket alone, an issue
    lost its confirmation or dismissal once that ticket left the window. `candidates`: the
    stored issues holding one of its tickets and not taken by an earlier cluster."""
    from .models import HotIssue

    found = [(by_pk[pk], len(shared[pk] & ids)) for pk in candidates if pk in by_pk]
    best = sorted(found, key=lambda c: (c[0].state == HotIssue.State.NEW, -c[1], c[0].pk))
    return best[0][0].key if best else None


def _link_tickets(rows):
    """Each issue's tickets become exactly its cluster's (as `tickets.set`), for all issues
    at once: the links they have read, those to drop deleted, those missing added."""
    from .models import HotIssue

    through = HotIssue.tickets.through
    wanted = {hot.pk: set(ids) for hot, ids in rows}
    have, drop = {}, []
    for chunk in _chunks(wanted):
        for link_id, issue_id, ticket_id in through.objects.filter(
            hotissue_id__in=chunk
        ).values_list("id", "hotissue_id", "ticket_id"):
            if ticket_id in wanted[issue_id]:
                have.setdefault(issue_id, set()).add(ticket_id)
            else:
                drop.append(link_id)
    for chunk in _chunks(drop):
        through.objects.filter(id__in=chunk).delete()
    through.objects.bulk_create(
        [
            through(hotissue_id=issue_id, ticket_id=ticket_id)
            for issue_id, ids in wanted.items()
            for ticket_id in sorted(ids - have.get(issue_id, set()))
        ],
        batch_size=1000,
    )


def _places_of(issues):
    """{path: Place} of every place an issue may be pinned to (_common_place), in one query."""
    from gridgov.places.models import Place, common_path

    paths = set()
    for issue in issues:
        located = [r.place_key for r in issue.records if r.place_key]
        if located:
            paths.add(common_path(located))
    found = {}
    for chunk in _chunks(paths):
        found.update({p.path: p for p in Place.objects.filter(path__in=chunk)})
    return found


def _top_categories():
    """{category id: id of its first-level category}, from the cached category tree
    (tickets.reference: at most one query)."""
    from gridgov.tickets import reference

    return {pk: category.top().pk for pk, category in reference.categories().by_id.items()}


def _common_place(issue, places):
    """The deepest place all of the issue's located tickets share (`places`: _places_of)."""
    from gridgov.places.models import common_path

    paths = [r.place_key for r in issue.records if r.place_key]
    if not paths:
        return None
    return places.get(common_path(paths))


def monthly_topic_min_per_month():
    """Tickets a category × area needs in *each* month to count as recurring (每月一题)."""
    from django.conf import settings

    return max(int(getattr(settings, "GRIDGOV_MONTHLY_TOPIC_MIN_PER_MONTH", 3)), 1)


def monthly_topic(now=None, months=3, level="community", user=None, min_per_month=None):
    """每月一题: the category × area with the most tickets, recurring in each of the last months.

    Returns a dict (category, place, total, per_month) or None. Only pairs with at least
    `min_per_month` tickets (settings.GRIDGOV_MONTHLY_TOPIC_MIN_PER_MONTH, default 3) in
    every one of the months count as recurring: one ticket a month was enough, and 1 / 1 /
    34 — a burst in the last month — was called "recurring every month". With `user`, only the
    tickets under the places where they see hot issues count (rules.VIEW_ROLES, as
    services.visible_hot_issues), and an area is never wider than the place they
    hold: a grid worker's topic is about their grid, not the whole community.
    """
    from django.db.models import Count, Q
    from django.utils import timezone

    from gridgov.places.models import Place
    from gridgov.tickets.models import Category, Ticket

    now = now or timezone.now()
    local = timezone.localtime(now)
    starts = []
    year, month = local.year, local.month
    for _i in range(months):
        starts.append(
            local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
        )
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    starts.reverse()
    # One aggregate query per month (category × place), then the tree in memory: the work
    # grows with the number of distinct groups, not with the tickets.
    categories = {c.pk: c for c in Category.objects.all()}
    depth = {"district": 1, "street": 2, "community": 3, "grid": 4}[level]
    roots = _topic_roots(user)
    if roots == []:
        return None
    bounds = [*starts[1:], None]
    counts, paths = {}, {}
    for index, (start, end) in enumerate(zip(starts, bounds, strict=True)):
        rows = Ticket.objects.filter(
            created_at__gte=start, category__isnull=False, place__isnull=False
        )
        if roots is not None:
            within = Q(pk__in=[])
            for root in roots:
                within |= Q(place__path__startswith=root)
            rows = rows.filter(within)
        if end is not None:
            rows = rows.filter(created_at__lt=end)
        rows = list(rows.values("category_id", "place_id").annotate(n=Count("id")))
        missing = {r["place_id"] for r in rows} - set(paths)
        paths.update(Place.objects.filter(pk__in=missing).values_list("pk", "path"))
        for row in rows:
            category = categories[row["category_id"]]
            path = paths[row["place_id"]]
            parts = path.strip("/").split("/")
            # The widest of the user's places holding this one bounds the area.
            held = [_depth(r) for r in roots or () if path.startswith(r)]
            area_depth = max(depth, min(held)) if held else depth
            if category.grid_event or len(parts) < area_depth:
                continue
            while category.parent_id:
                category = categories[category.parent_id]
            key = (category.pk, "/" + "/".join(parts[:area_depth]) + "/")
            counts.setdefault(key, [0] * months)[index] += row["n"]
    least = monthly_topic_min_per_month() if min_per_month is None else max(min_per_month, 1)
    recurring = [(sum(c), key, c) for key, c in counts.items() if min(c) >= least]
    if not recurring:
        return None
    total, (category_id, area), per_month = max(recurring, key=lambda x: (x[0], x[2][-1]))
    return {
        "category": Category.objects.get(pk=category_id),
        "place": Place.objects.filter(path=area).first(),
        "total": total,
        "per_month": [[s.strftime("%Y-%m"), n] for s, n in zip(starts, per_month, strict=True)],
    }


def _topic_roots(user):
    """The place paths whose tickets count for `user`'s topic: None for all of them."""
    if user is None:
        return None
    from gridgov.people.scope import scope_for

    from .rules import VIEW_ROLES

    scope = scope_for(user)
    return None if scope.everything else scope.paths(VIEW_ROLES)


def _depth(path):
    return path.strip("/").count("/") + 1
