"""Copies in hot-issue mining: a message posted again word for word is one more demand, not
one more text saying its words (or its place) are common (hotissues._wording).

The properties for any input are in test_mining_properties.py (a copy joins its issue and
does not cool it; copies change no cluster); these are the cases that broke them.
"""

import datetime as dt

from gridgov.insights import hotissues

T0 = dt.datetime(2019, 6, 1, 9, 0)


def rec(id, title, body, user, days=0.0, likes=0):
    return hotissues.Record(
        id=id, title=title, body=body, time=T0 + dt.timedelta(days=days), user=user, likes=likes
    )


def copy(record, id, user=None):
    """`record` posted again: the same words at the same time, by its writer or `user`."""
    return hotissues.Record(
        id=id, title=record.title, body=record.body, time=record.time, user=user or record.user
    )


def link_at_the_bar():
    """Two writers about 凉塘路: a mixing plant and a rubbish station, texts at cosine 0.26,
    just above the bar for one place (0.25)."""
    return [
        rec("a", "A市凉塘路附近搅拌站噪音扰民的问题", "凉塘路附近搅拌站噪音扰民，希望相关部门管一管", "u0"),
        rec("b", "A市凉塘路垃圾站臭味严重的问题", "凉塘路垃圾站臭味严重，", "u1", 13),
        rec("c", "A市伊景园滨河苑附近搅拌站噪音扰民，请尽快处理", "伊景园滨河苑附近搅拌站噪音扰民，居民苦不堪言", "u2", 1),
        rec("d", "投诉工地夜间施工噪音！", "工地夜间施工噪音，", "u1", 12),
    ]  # fmt: skip


def test_a_copy_does_not_weaken_the_link_it_is_part_of():
    """Fitted to every message, the copy raised its n-grams' document frequency: the link fell
    to 0.23 and the issue vanished (found by test_mining_properties)."""
    [issue] = hotissues.mine(link_at_the_bar())
    assert (issue.ids, issue.count, issue.requesters) == (["a", "b"], 2, 2)
    given = link_at_the_bar()
    [after] = hotissues.mine([*given, copy(given[0], "a2")])
    # One more demand of the same writer: count and rate up, requesters as they were.
    assert (after.ids, after.count, after.requesters) == (["a", "a2", "b"], 3, 2)
    assert after.heat == hotissues.heat(3, 2, 0, issue.first, issue.last)[0] > issue.heat
    given = link_at_the_bar()
    [another] = hotissues.mine([*given, copy(given[0], "a2", user="u9")])
    assert (another.count, another.requesters) == (3, 3) and another.heat > after.heat


def test_copies_do_not_switch_rare_ngrams_off():
    """n-grams seen in one text only are dropped from RARE_NGRAMS_FROM texts up: counted
    with copies, one copy of 499 letters dropped them from all."""
    letters = [
        rec(n, f"第{n}号楼{chr(0x4E00 + n)}{chr(0x5000 + n)}漏水", "", f"u{n}", n / 10)
        for n in range(hotissues.RARE_NGRAMS_FROM - 1)
    ]
    _groups, features = hotissues.cluster(letters)
    _groups, with_copy = hotissues.cluster([*letters, copy(letters[0], "again")])
    assert with_copy.shape[1] == features.shape[1]
    assert (with_copy[: len(letters)] != features).nnz == 0


def test_a_copy_joins_its_original_even_where_their_words_have_no_features():
    """From RARE_NGRAMS_FROM distinct texts, n-grams of one text only are dropped: a letter
    whose n-grams are all its own has no features, and counted once, its copy's are no more
    common. The copy is the same message (_copies): it still joins it."""
    letters = [
        rec(n, f"第{n}号楼{chr(0x4E00 + n)}{chr(0x5000 + n)}漏水", "", f"u{n}", n / 10)
        for n in range(hotissues.RARE_NGRAMS_FROM)
    ]
    alone = rec("x", "鼋鼍鼐", "", "u1", 3)  # characters no other letter has
    issues = hotissues.mine([*letters, alone, copy(alone, "x2", user="u2")])
    [issue] = [i for i in issues if "x" in i.ids]
    assert issue.ids == ["x", "x2"] and issue.requesters == 2
    _groups, features = hotissues.cluster([*letters, alone])
    assert features[len(letters)].nnz == 0


def test_a_letter_and_its_copy_are_one_letter_in_the_averaged_matters():
    """_merge_alike joins groups of two letters or more by their averaged matters; a single
    letter is judged by the pairwise links only. A letter a month after the others and its
    copy were a group of two, and joined the others: now one letter, it stays apart."""
    plant = "丽发新城附近搅拌站噪音扰民"
    parking = "丽发新城违规捆绑销售车位"
    records = [
        rec("a", plant, f"{plant}，", "u0"),
        rec("b", parking, f"{parking}，", "u0", 1 / 86400),  # tied to "a" by its writer
        rec("late", plant, f"{plant}，", "u1", 30 + 1 / 86400),  # just outside the window of "a"
    ]
    groups, _features = hotissues.cluster(records)
    assert sorted(sorted(records[i].id for i in g) for g in groups) == [["a", "b"], ["late"]]
    records.append(copy(records[2], "again"))
    groups, _features = hotissues.cluster(records)
    assert sorted(sorted(records[i].id for i in g) for g in groups) == [
        ["a", "b"],
        ["again", "late"],
    ]


def chained():
    """One writer (u0) about parking and a mixing plant at 伊景园滨河苑 and 凉塘路, one of the
    凉塘路 parking letters posted four times; another writer (u1) about 凉塘路's plant, twice."""
    made = [
        ("m0", "u0", "伊景园滨河苑附近搅拌站噪音扰民"),
        ("m1", "u0", "凉塘路违规捆绑销售车位"),
        ("m5", "u0", "伊景园滨河苑违规捆绑销售车位"),
        ("m6", "u0", "凉塘路违规捆绑销售车位"),
        ("m7", "u0", "凉塘路违规捆绑销售车位"),
        ("m13", "u0", "凉塘路违规捆绑销售车位"),
        ("m14", "u1", "凉塘路附近搅拌站噪音扰民"),
        ("m17", "u1", "凉塘路附近搅拌站噪音扰民"),
        ("m20", "u0", "伊景园滨河苑附近搅拌站噪音扰民"),
        ("m21", "u0", "违规捆绑销售车位"),
    ]
    return [rec(i, t, f"{t}，", u) for i, u, t in made]


def test_copies_of_one_letter_do_not_outvote_the_place_other_letters_name():
    """u0's group names 伊景园滨河苑 in two letters and 凉塘路 in one, posted four times. Counted
    with copies, 凉塘路 won, and the group was joined to u1's 凉塘路 plant letters (one
    place, _merge_alike): one issue of 10. The group is 伊景园滨河苑's, and u0's and u1's
    letters stay apart, each one requester's repeat call."""
    records = chained()
    groups, _features = hotissues.cluster(records)
    by_id = {r.id: r for r in records}
    [u0] = [g for g in groups if records[g[0]].user == "u0"]
    assert hotissues._group_place(records, u0)[0] == "伊景园滨河苑"
    assert sorted(sorted(records[i].id for i in g) for g in groups) == [
        ["m0", "m1", "m13", "m20", "m21", "m5", "m6", "m7"],
        ["m14", "m17"],
    ]
    assert hotissues.mine(list(by_id.values())) == []
    # And a copy more changes nothing.
    assert hotissues.mine([*chained(), copy(by_id["m0"], "copy")]) == []


def test_a_label_named_by_more_letters_wins_over_one_letter_posted_again():
    """The issue's place (mine, and _merge_alike's): the label the most distinct letters name."""
    body = "绿地海外滩离高铁太近，噪音太大"
    twice = rec("x1", "绿地海外滩二期高铁噪音太大", body, "u1")
    records = [
        twice,
        copy(twice, "x2", user="u2"),
        copy(twice, "x3", user="u3"),
        rec("y1", "绿地海外滩小区高铁噪音太大", body, "u4", 1),
        rec("y2", "绿地海外滩小区高铁噪音扰民", body, "u5", 2),
    ]
    [issue] = hotissues.mine(records)
    assert issue.count == 5 and issue.requesters == 5
    assert issue.place_label == "绿地海外滩小区"


def test_a_tie_of_labels_goes_to_the_one_named_earliest_whatever_the_copies_ids():
    body = "绿地海外滩离高铁太近，噪音太大"
    first = rec("b", "绿地海外滩二期高铁噪音太大", body, "u1")
    records = [first, rec("a", "绿地海外滩小区高铁噪音太大", body, "u2")]  # as early
    [issue] = hotissues.mine(records)
    # Same time: the label itself decides (二 < 小), not the message ids, which a copy's
    # id sorting first ("a0") would have changed.
    assert issue.place_label == "绿地海外滩二期"
    [again] = hotissues.mine([*records, copy(records[1], "a0")])
    assert again.place_label == "绿地海外滩二期"


def shengli(likes=(0, 0)):
    """One matter asked twice, by two people a day apart, worded a little differently."""
    return [
        rec(
            "s1",
            "询问A7县星沙圣力华苑出售地下车位是否合法？",
            "现在星沙圣力华苑开发商正在出售地下车位，据说该小区的地下车库是人防工程，而根据法律"
            "规定人防工程的车位任何人不能买卖，请问圣力华苑开发商出售地下车位这种做法是否合法？",
            "u1",
            likes=likes[0],
        ),
        rec(
            "s2",
            "询问A7县圣力华苑车位的问题",
            "圣力华苑在出售地下车位，据说该小区的地下车库是人防工程，而根据法律规定人防工程的"
            "车位任何人不能买卖，请问圣力华苑开发商出售地下车位这种做法是否合法？谢谢",
            "u2",
            1,
            likes=likes[1],
        ),
    ]


def test_two_letters_are_equally_central_the_title_is_the_most_liked_then_the_earliest():
    """Each is 1 + s from the pair: the float32 rows' lengths (1 ± 1e-6), not likes and time,
    chose the title (the later here; 97 of the shared messages' 270 two-letter issues)."""
    assert hotissues.mine(shengli())[0].title == "询问A7县星沙圣力华苑出售地下车位是否合法？"
    assert hotissues.mine(shengli(likes=(0, 1)))[0].title == "询问A7县圣力华苑车位的问题"


def test_a_copy_does_not_make_its_letter_the_title():
    """A letter posted again was as similar to its copy as to itself: the copy made it the most
    central (shared messages: 请对A市中山路进行改造升级, posted twice, over the earlier
    A市中山路怎么不能改造升级？)."""
    given = shengli()
    [issue] = hotissues.mine([*given, copy(given[1], "s3", user="u3")])
    assert issue.title == "询问A7县星沙圣力华苑出售地下车位是否合法？"
    assert issue.count == 3 and issue.requesters == 3
