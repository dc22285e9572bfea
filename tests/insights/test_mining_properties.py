"""Hot issues and near-duplicate suggestions: properties that hold for any input (hypothesis).

Messages are drawn from a few places × matters, worded several ways, over three months by a
handful of writers (so that clusters form), and as runs of the shared messages
(../shared/data/teddy2020/hot_messages.csv, when shared/ is beside the repository).

Hot issues (hotissues.mine, `gridgov hotissues`): the result does not depend on the rows'
order (ties included); each message is in at most one issue, with its period, counts and heat
those of its messages by the formula of docs/insights.md; a copy of a message of an issue
joins it and does not cool it, and copies change no other message's features nor any
cluster; `--top N` is the first N of the full ranking; bad input is a clear error with no
output file.

Duplicates (dedupe): the estimated similarity is symmetric, a text matches itself fully, and
find_duplicates suggests only tickets that an all-pairs pass over the same signatures, window
and bonuses scores above the threshold (LSH may miss, never invent).
"""

import csv
import datetime as dt
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gridgov.insights import dedupe, hotissues
from gridgov.insights.management.commands.hotissues import read_records

SHARED = Path(__file__).resolve().parents[3] / "shared/data/teddy2020/hot_messages.csv"

pure = settings(max_examples=40, deadline=None)
cli = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
with_db = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

PLACES = ["丽发新城", "伊景园滨河苑", "凉塘路", "绿地海外滩小区", "魏家坡小区", ""]
MATTERS = [
    "附近搅拌站噪音扰民",
    "违规捆绑销售车位",
    "路灯坏了很久没人修",
    "垃圾站臭味严重",
    "小区停水三天了",
    "工地夜间施工噪音",
]
PREFIXES = ["", "A市", "A7县", "投诉"]
SUFFIXES = ["", "！", "的问题", "，请尽快处理"]
START = dt.datetime(2019, 6, 1)


@st.composite
def rows(draw, min_size=2, max_size=40):
    """CSV-like rows (dicts of str), ids m0, m1 … in the order drawn."""
    n = draw(st.integers(min_size, max_size))
    out = []
    for i in range(n):
        place, matter = draw(st.sampled_from(PLACES)), draw(st.sampled_from(MATTERS))
        title = draw(st.sampled_from(PREFIXES)) + place + matter + draw(st.sampled_from(SUFFIXES))
        extra = draw(st.sampled_from(["", "已经很久了", "希望相关部门管一管", "居民苦不堪言"]))
        when = START + dt.timedelta(seconds=draw(st.integers(0, 90 * 86400)))
        out.append(
            {
                "message_id": f"m{i}",
                "user": draw(st.sampled_from([f"u{k}" for k in range(8)])),
                "title": title,
                "time": when.strftime("%Y/%m/%d %H:%M:%S"),
                "body": f"{place}{matter}，{extra}",
                "likes": str(draw(st.integers(0, 30))),
                "dislikes": str(draw(st.integers(0, 3))),
            }
        )
    return out


_shared = []


def shared_rows():
    if not _shared:
        with open(SHARED, encoding="utf-8-sig", newline="") as handle:
            found = list(csv.DictReader(handle))
        found.sort(key=lambda r: (read_time(r["time"]), r["message_id"]))
        _shared.extend(found)
    return _shared


def read_time(text):
    from gridgov.insights.management.commands.hotissues import parse_time

    return parse_time(text)


@st.composite
def real_rows(draw):
    """A run of the shared messages in time order (a few weeks of a city), and a few others."""
    if not SHARED.exists():
        pytest.skip("shared/data/teddy2020 is not beside the repository")
    every = shared_rows()
    size = draw(st.integers(30, 150))
    start = draw(st.integers(0, len(every) - size))
    picked = every[start : start + size]
    others = draw(st.lists(st.sampled_from(every), max_size=10))
    seen = {r["message_id"] for r in picked}
    return picked + list(
        {r["message_id"]: r for r in others if r["message_id"] not in seen}.values()
    )


def records(rows):
    """Fresh Records for `rows` (mine() fills in their places: never reuse them)."""
    return [
        hotissues.Record(
            id=r["message_id"],
            title=r["title"].strip(),
            body=r["body"].strip(),
            time=read_time(r["time"]),
            user=r.get("user", "").strip(),
            likes=int(r.get("likes") or 0),
            dislikes=int(r.get("dislikes") or 0),
        )
        for r in rows
    ]


def described(issues):
    return [
        (
            i.heat,
            i.count,
            i.requesters,
            i.reactions,
            i.rate_per_week,
            i.first,
            i.last,
            tuple(i.ids),
            i.title,
            i.place_label,
            i.place_key,
            tuple(map(tuple, i.trend)),
        )
        for i in issues
    ]


def shuffled(rows, seed):
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    return rows


# --- order ------------------------------------------------------------------------------------


@pure
@given(rows(), st.integers(0, 2**32))
def test_generated_hot_issues_do_not_depend_on_the_rows_order(given_rows, seed):
    assert described(hotissues.mine(records(shuffled(given_rows, seed)))) == described(
        hotissues.mine(records(given_rows))
    )


@pure
@given(real_rows(), st.integers(0, 2**32))
def test_shared_messages_hot_issues_do_not_depend_on_the_rows_order(given_rows, seed):
    assert described(hotissues.mine(records(shuffled(given_rows, seed)))) == described(
        hotissues.mine(records(given_rows))
    )


def _label_tie():
    """Two writers name 凉塘路 and 星沙四区 once each: a tie of place labels."""
    body = "旧城改造拖了好几年，居民苦不堪言"
    return [
        {"message_id": "a", "user": "u1", "title": "凉塘路旧城改造要拖到何时", "body": body,
         "time": "2019/06/10 10:00:00", "likes": "0", "dislikes": "0"},
        {"message_id": "b", "user": "u2", "title": "魏家坡小区旧城改造要拖到何时", "body": body,
         "time": "2019/06/12 10:00:00", "likes": "0", "dislikes": "0"},
    ]  # fmt: skip


def test_a_tie_of_place_labels_goes_the_same_way_whatever_the_rows_order():
    """The most common place label was Counter.most_common's first, which among equals is the
    first seen, so the input's order named the issue (shared messages: 凉塘路 or 凉塘路旧城;
    A2区 or P诈骗平台跑路). Now the earliest message's wins."""
    rows = _label_tie()
    forward, backward = hotissues.mine(records(rows)), hotissues.mine(records(rows[::-1]))
    assert [i.ids for i in forward] == [["a", "b"]]
    assert described(forward) == described(backward)
    assert forward[0].place_label.startswith("凉塘路")  # the earliest message's place


def test_copies_of_one_text_give_the_same_title_and_ties_the_same_rank_whatever_the_order():
    """Copies have equal centrality (and likes): the representative was the last in the
    input's order; two issues of equal heat and count were ranked as their clusters came."""
    rows = []
    for n, (place, matter) in enumerate([("丽发新城", "搅拌站噪音扰民"), ("凉塘路", "路灯坏了")]):
        for k, extra in enumerate(["", "！"]):
            rows.append(
                {
                    "message_id": f"{n}{k}",
                    "user": f"u{n}{k}",
                    "title": f"{place}{matter}{extra}",
                    "body": f"{place}{matter}",
                    "time": f"2019/06/1{n} 10:00:00",
                    "likes": "1",
                    "dislikes": "0",
                }  # fmt: skip
            )
    forward, backward = hotissues.mine(records(rows)), hotissues.mine(records(rows[::-1]))
    assert len(forward) == 2 and forward[0].heat == forward[1].heat
    assert described(forward) == described(backward)
    assert [i.ids[0] for i in forward] == ["00", "10"]  # the earliest first


# --- what an issue is made of -------------------------------------------------------------------


def check_issues(given_rows, issues, min_size=2):
    times = {r["message_id"]: read_time(r["time"]) for r in given_rows}
    by_id = {r["message_id"]: r for r in given_rows}
    seen = []
    for issue in issues:
        assert len(issue.ids) == issue.count >= min_size
        assert set(issue.ids) <= set(by_id)
        seen += issue.ids
        members = [by_id[i] for i in issue.ids]
        assert issue.first == min(times[i] for i in issue.ids)
        assert issue.last == max(times[i] for i in issue.ids)
        assert issue.requesters == len({r["user"] or f"#{r['message_id']}" for r in members})
        assert issue.reactions == sum(int(r["likes"]) + int(r["dislikes"]) for r in members)
        # A single requester's cluster that nobody reacted to is a repeat call, not an issue.
        assert issue.requesters >= 2 or issue.reactions > 0
        score, rate = hotissues.heat(
            issue.count, issue.requesters, issue.reactions, issue.first, issue.last
        )
        assert issue.heat == score and issue.rate_per_week == round(rate, 2)
        assert sum(n for _day, n in issue.trend) == issue.count
        assert [r.id for r in issue.records] == issue.ids
    assert len(seen) == len(set(seen)), "a message in two issues"
    ranking = [(-i.heat, -i.count) for i in issues]
    assert ranking == sorted(ranking)


@pure
@given(rows())
def test_each_message_is_in_one_issue_at_most_with_its_period_counts_and_heat(given_rows):
    check_issues(given_rows, hotissues.mine(records(given_rows)))


@pure
@given(real_rows())
def test_shared_messages_issues_hold_their_messages_period_counts_and_heat(given_rows):
    check_issues(given_rows, hotissues.mine(records(given_rows)))


@st.composite
def issue_and_copy(draw, source):
    given_rows = draw(source)
    issues = hotissues.mine(records(given_rows))
    assume(issues)
    issue = draw(st.sampled_from(issues))
    original = draw(st.sampled_from([r for r in given_rows if r["message_id"] in issue.ids]))
    user = draw(st.sampled_from([original["user"], "a new writer"]))
    twin = {**original, "message_id": "copy", "user": user, "likes": "0", "dislikes": "0"}
    return given_rows, issue, twin


# Found by these properties (then pinned as xfail): a copy split an issue or made it vanish.
# The TF-IDF's document frequencies were fitted to every message mined, so one more copy of
# a text lowered the weight of its n-grams and cut a link a chain of single links depended on
# (test_hot_copies.py). They count distinct texts now (hotissues._wording), and so do the
# groups' averaged matters and places: copies change no cluster (below).


def check_copy_joins(given_rows, issue, twin):
    after = hotissues.mine(records([*given_rows, twin]))
    [holder] = [i for i in after if "copy" in i.ids]
    assert set(issue.ids) <= set(holder.ids), "the copy split the issue"
    assert holder.heat >= issue.heat
    assert holder.count == issue.count + 1 or set(holder.ids) > {*issue.ids, "copy"}


@pure
@given(issue_and_copy(rows()))
def test_a_copy_of_a_message_joins_its_issue_and_does_not_cool_it(case):
    check_copy_joins(*case)


@pure
@given(issue_and_copy(real_rows()))
def test_a_copy_of_a_shared_message_joins_its_issue_and_does_not_cool_it(case):
    check_copy_joins(*case)


@st.composite
def with_copies(draw, source):
    """Rows and copies of some of them (c0, c1 …: same title, body and time; the writer's or
    a new one's, each copy's own: one new person writing copies of two letters about a
    compound is a requester link), the original of each copy."""
    given_rows = draw(source)
    picked = draw(st.lists(st.sampled_from(given_rows), min_size=1, max_size=6))
    copies, original = [], {}
    for n, row in enumerate(picked):
        user = draw(st.sampled_from([row["user"], f"new writer {n}"]))
        copies.append({**row, "message_id": f"c{n}", "user": user, "likes": "0", "dislikes": "0"})
        original[f"c{n}"] = row["message_id"]
    return given_rows, copies, original


def check_copies_change_no_cluster(given_rows, copies, original):
    """Copies leave every other message's features and every cluster as they were: each copy
    joins its original's cluster, and nothing else moves."""
    alone = records(given_rows)
    both = records([*given_rows, *copies])
    groups, features = hotissues.cluster(alone)
    groups_after, features_after = hotissues.cluster(both)
    assert features.shape[1] == features_after.shape[1]  # rare n-grams: one switch, one vocabulary
    assert (features != features_after[: len(alone)]).nnz == 0
    ids = [r.id for r in both]
    clusters = {frozenset(alone[i].id for i in g) for g in groups}
    after = {frozenset(original.get(ids[i], ids[i]) for i in g) for g in groups_after}
    assert after == clusters


@pure
@given(with_copies(rows()))
def test_copies_change_no_cluster(case):
    check_copies_change_no_cluster(*case)


@pure
@given(with_copies(real_rows()))
def test_copies_of_shared_messages_change_no_cluster(case):
    check_copies_change_no_cluster(*case)


# --- the heat formula -----------------------------------------------------------------------------

counts = st.integers(1, 10_000)
spans = st.floats(0, 400)


@pure
@given(counts, counts, counts, st.integers(0, 100_000), spans, st.integers(0, 1000))
def test_heat_grows_with_demands_requesters_and_reactions(n, more, u, r, days, extra):
    first = START
    last = first + dt.timedelta(days=days)
    u = min(u, n)
    base, _rate = hotissues.heat(n, u, r, first, last)
    assert hotissues.heat(n + more, u, r, first, last)[0] >= base
    assert hotissues.heat(n + more, min(u + more, n + more), r, first, last)[0] >= base
    assert hotissues.heat(n, u, r + extra, first, last)[0] >= base
    # A longer period for as many demands is a lower rate: never hotter.
    assert hotissues.heat(n, u, r, first, last + dt.timedelta(days=extra))[0] <= base


def test_the_formula_as_docs_insights_md_states_it():
    week = (START, START + dt.timedelta(days=7))
    # "10 people, 10 messages, 10/week and 10 reactions has heat ln 11 × 10 ≈ 24"
    assert hotissues.heat(10, 10, 10, *week) == (round(10 * math.log(11), 2), 10.0)
    assert round(10 * math.log(11)) == 24
    # "two messages on one day are 2/week, not 14"
    assert hotissues.heat(2, 2, 0, START, START + dt.timedelta(hours=3))[1] == 2.0
    # "a message with 800 likes adds as much heat as about eight distinct requesters would"
    # — counted from none: 800 likes' term is 8 requesters' (from 1 to 9 it is 4.8 against 6.7).
    likes = hotissues.heat(2, 0, 800, *week)[0] - hotissues.heat(2, 0, 0, *week)[0]
    people = hotissues.heat(2, 8, 0, *week)[0] - hotissues.heat(2, 0, 0, *week)[0]
    assert abs(likes - people) < 0.2
    # "ten people saying something once is hotter than one person saying it ten times"
    assert hotissues.heat(10, 10, 0, *week)[0] > hotissues.heat(10, 1, 0, *week)[0]
    assert hotissues.WEIGHTS == {"requesters": 3.0, "count": 1.0, "rate": 1.5, "reactions": 1.0}


# --- the command --------------------------------------------------------------------------------

FIELDS = ["message_id", "user", "title", "time", "body", "likes", "dislikes"]


def write_rows(path, given_rows, fields=FIELDS):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(given_rows)
    return path


def run(source, output, *args):
    call_command("hotissues", "--input", str(source), "--output", str(output), *args)
    return json.loads(Path(output).read_text(encoding="utf-8"))


@cli
@given(rows(min_size=4), st.integers(1, 6), st.integers(0, 2**32))
def test_top_n_is_the_first_n_of_the_full_ranking_whatever_the_rows_order(
    tmp_path, given_rows, top, seed
):
    full = run(write_rows(tmp_path / "in.csv", given_rows), tmp_path / "all.json", "--top", "999")
    source = write_rows(tmp_path / "shuffled.csv", shuffled(given_rows, seed))
    assert run(source, tmp_path / "top.json", "--top", str(top)) == full[:top]
    assert [row["rank"] for row in full] == list(range(1, len(full) + 1))
    ids = [i for row in full for i in row["message_ids"].split()]
    assert len(ids) == len(set(ids)) and set(ids) <= {r["message_id"] for r in given_rows}


bad_times = st.sampled_from(["", "yesterday", "2019/13/01 10:00:00", "2019-02-30 10:00", "10:00"])
texts = st.sampled_from(["", "   ", "hello world", "12345", "!!!", "凉塘路路灯坏了", "噪音扰民"])
numbers = st.sampled_from(["", "0", "3", "-2", "abc", "1.5", "nan"])


@st.composite
def bad_csv(draw):
    """Rows with bad or good times, empty, Latin or Chinese text, and odd counts, under a
    header that may lack needed columns."""
    fields = [f for f in FIELDS if draw(st.booleans()) or f in ("likes", "dislikes")]
    made = []
    for i in range(draw(st.integers(0, 8))):
        good = draw(st.booleans())
        when = START + dt.timedelta(hours=draw(st.integers(0, 2000)))
        made.append(
            {
                "message_id": f"b{i}",
                "user": draw(st.sampled_from(["", "u1", "u2"])),
                "title": draw(texts),
                "body": draw(texts),
                "time": when.strftime("%Y-%m-%d %H:%M") if good else draw(bad_times),
                "likes": draw(numbers),
                "dislikes": draw(numbers),
            }
        )
    return fields, made


@cli
@given(bad_csv())
def test_bad_input_is_a_clear_error_and_no_output_file(tmp_path, case):
    fields, made = case
    source = write_rows(tmp_path / "bad.csv", made, fields)
    output = tmp_path / "out" / "issues.json"
    output.unlink(missing_ok=True)
    needed = {"message_id", "title", "body", "time"}
    usable = [
        r
        for r in made
        if read_time(r["time"] if "time" in fields else "")
        and (
            (r["title"] if "title" in fields else "") or (r["body"] if "body" in fields else "")
        ).strip()
    ]
    if not needed <= set(fields):
        with pytest.raises(CommandError, match="missing column"):
            run(source, output)
        assert not output.exists()
    elif not usable:
        with pytest.raises(CommandError, match="no message to mine"):
            run(source, output)
        assert not output.exists()
    else:
        issues = run(source, output)
        ids = [i for row in issues for i in row["message_ids"].split()]
        assert set(ids) <= {r["message_id"] for r in usable}


def test_likes_too_large_for_a_number_are_read_as_none(tmp_path):
    made = [
        {"message_id": "1", "user": "u1", "title": "凉塘路路灯坏了", "body": "路灯坏了",
         "time": "2019/06/01 10:00:00", "likes": "1e999", "dislikes": "0"},
    ]  # fmt: skip
    records_read, _bad = read_records(write_rows(tmp_path / "big.csv", made))
    assert records_read[0].likes == 0


def test_the_command_exits_non_zero_without_writing_on_a_missing_column(tmp_path):
    import subprocess
    import sys

    source = write_rows(tmp_path / "in.csv", [], ["message_id", "title", "body"])
    output = tmp_path / "out.csv"
    done = subprocess.run(
        [sys.executable, "-m", "django", "hotissues", "--input", str(source), "--output",
         str(output)],
        capture_output=True, text=True, env={**__import__("os").environ,
                                              "DJANGO_SETTINGS_MODULE": "gridgov.settings"},
    )  # fmt: skip
    assert done.returncode != 0
    assert "missing column(s) time" in done.stderr and "Traceback" not in done.stderr
    assert not output.exists()


# --- duplicates -----------------------------------------------------------------------------------

chinese = st.text(
    st.sampled_from("路灯坏了噪音扰民垃圾站臭味小区停水车位捆绑销售，。！ ab1"), max_size=40
)


@pure
@given(chinese, chinese)
@example("", "")
@example("路", "路")
def test_similarity_is_symmetric_and_a_text_is_its_own_best_match(a, b):
    sa, sb = dedupe.signature(a), dedupe.signature(b)
    assert dedupe.similarity(sa, sb) == dedupe.similarity(sb, sa)
    assert 0.0 <= dedupe.similarity(sa, sb) <= 1.0
    if sa is not None:
        assert dedupe.similarity(sa, dedupe.signature(a)) == 1.0
        assert dedupe.similarity(sa, sb) <= dedupe.similarity(sa, sa)
    else:
        assert len(dedupe.shingles(a)) == 0 and dedupe.similarity(sa, sb) == 0.0
    # Equal sets of bigrams, equal signatures (and a text and its copy, equal keys).
    if set(dedupe.shingles(a).tolist()) == set(dedupe.shingles(b).tolist()) and sa is not None:
        assert np.array_equal(sa, sb)
    if sa is not None:
        assert dedupe.band_keys(sa) == dedupe.band_keys(dedupe.signature(a + ""))


@pure
@given(
    st.lists(
        st.tuples(st.sampled_from(["", "u1", "u2", "u3"]), st.integers(0, 90 * 24), chinese),
        max_size=25,
    ),
    st.floats(1, 60),
    st.floats(0, 1),
)
def test_same_requester_pairs_are_all_pairs_of_a_writer_within_the_days_alike_enough(
    made, days, least
):
    given_records = [
        {"user": u, "time": START + dt.timedelta(hours=h), "text": t} for u, h, t in made
    ]
    found = dedupe.same_requester_pairs(given_records, days=days, min_similarity=least)
    brute = set()
    for i, a in enumerate(given_records):
        for j, b in enumerate(given_records[i + 1 :], start=i + 1):
            sim = dedupe.similarity(dedupe.signature(a["text"]), dedupe.signature(b["text"]))
            near = abs(a["time"] - b["time"]) <= dt.timedelta(days=days)
            if a["user"] and a["user"] == b["user"] and near and sim >= least:
                brute.add(frozenset((i, j)))
    assert {frozenset((i, j)) for i, j, _s in found} == brute
    assert len(found) == len(brute)


@pytest.fixture
def world(db):
    from tests.tickets.factories import make_world

    return make_world()


DUPLICATE_TEXTS = [
    "楼道堆满杂物，纸箱和旧家具挡住了通道",
    "楼道里堆满了纸箱和旧家具，挡住通道",
    "小区路灯坏了一个星期没人修",
    "路灯坏了，晚上走路看不见",
    "垃圾站臭味严重，夏天没法开窗",
]


@pytest.mark.django_db
@with_db
@given(
    st.lists(
        st.tuples(
            st.sampled_from(DUPLICATE_TEXTS),
            st.integers(-60, 60),  # days from now
            st.sampled_from(["魏家坡小区3号楼2单元", "幸福里小区3栋", "魏家坡小区5栋"]),
            st.sampled_from(["13812341234", "13900001111", "13700002222"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(DUPLICATE_TEXTS),
    st.sampled_from([0, 1, 2]),
    st.sampled_from(["13812341234", ""]),
)
def test_suggestions_are_what_all_pairs_over_the_signatures_find_above_the_threshold(
    world, made, text, where, phone
):
    from django.db import transaction

    from gridgov.insights.models import SignatureBand, TextSignature
    from gridgov.tickets.models import FINAL_STATUSES, Ticket
    from tests.tickets.factories import make_ticket

    now = timezone.now()
    with transaction.atomic():  # each example's tickets rolled back, the world kept
        for body, days, address, caller in made:
            ticket = make_ticket(
                world, title=body[:8], description=body, address=address, requester_phone=caller
            )
            made_at = now + dt.timedelta(days=days)
            Ticket.objects.filter(pk=ticket.pk).update(created_at=made_at)
            TextSignature.objects.filter(ticket=ticket).update(created_at=made_at)
            SignatureBand.objects.filter(signature__ticket=ticket).update(created_at=made_at)
        place = [world.buildings[0], world.grid_b, None][where]
        text = f"{text[:8]} {text}"  # as a ticket's (dedupe.ticket_text)
        found = dedupe.find_duplicates(text, place=place, phone=phone, now=now)

        values = dedupe.signature(text)
        who = dedupe.requester_key(None, phone)
        building = place if where == 0 else None
        grid = world.grid_a if where == 0 else (world.grid_b if where == 1 else None)
        since = now - dt.timedelta(days=dedupe.window_days())
        brute, same = {}, set()
        for sig in TextSignature.objects.select_related("ticket"):
            if sig.ticket.status in FINAL_STATUSES or not since <= sig.created_at <= now:
                continue
            score = dedupe.similarity(values, dedupe.unpack(sig.minhash))
            if score == 1.0:
                same.add(sig.ticket_id)
            if building is not None and sig.place_path == building.path:
                score += dedupe.BUILDING_BONUS
            elif grid is not None and sig.place_path.startswith(grid.path):
                score += dedupe.GRID_BONUS
            if who and sig.requester_key == who:
                score += dedupe.REQUESTER_BONUS
            if score >= dedupe.min_score():
                brute[sig.ticket_id] = round(min(score, 1.0), 3)
        transaction.set_rollback(True)
    assert len(found) <= dedupe.MAX_SUGGESTIONS
    for candidate in found:
        assert candidate.ticket_id in brute, "suggested what all pairs do not find"
        assert candidate.score == brute[candidate.ticket_id]
    # The same text shares every band: LSH cannot miss it.
    if len(brute) <= dedupe.MAX_SUGGESTIONS:
        assert same <= {c.ticket_id for c in found}
