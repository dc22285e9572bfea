"""`suggest_category(text) -> [(category, score)]`: the one interface intake uses.

Until a trained model is configured (the insights app), a keyword baseline
built from the taxonomy serves: each category's own name and its children's
names, plus curated keywords, are matched against the text.

`needs_confirmation(suggestions)`: whether the best suggestion is too unsure to send a
ticket anywhere by (settings.GRIDGOV_AUTO_DISPATCH_MIN_SCORE); intake then leaves it at
the dispatch desk, which confirms the category (docs/insights.md).
"""

import math
import re

from django.conf import settings
from django.utils.module_loading import import_string

from gridgov.core import versions

from . import reference
from .categories import BEYOND_THE_GRID

MIN_KEYWORD = 2
# The trained model's best score below which intake does not dispatch by its label: chosen
# on held-out messages (python bench/classify_holdout.py --confidence; docs/insights.md).
AUTO_DISPATCH_MIN_SCORE = 0.95
# The create event's `route` of a demand left at the dispatch desk for that reason (intake).
LOW_CONFIDENCE = "low_confidence"


class Suggestions(list):
    """[(category, score)], best first, saying where the best one comes from (`by`):
    "model" (the trained classifier; its score is a calibrated probability), "event" (a grid
    event type the text names, grid_event) or "keywords" (the keyword baseline)."""

    def __init__(self, items=(), by="keywords"):
        super().__init__(items)
        self.by = by


def auto_dispatch_min_score():
    return float(getattr(settings, "GRIDGOV_AUTO_DISPATCH_MIN_SCORE", AUTO_DISPATCH_MIN_SCORE))


def score_percent(score):
    """A score as a whole percent, rounded down: shown beside 把握不足 it must stay below the
    threshold's own figure (0.9496 read 95%, the threshold, rounded half up)."""
    return f"{math.floor(float(score or 0) * 100 + 1e-9)}%"  # 1e-9: 0.29 * 100 is 28.99…


def needs_confirmation(suggestions):
    """Is the best suggestion the model's, scoring below the auto-dispatch threshold?

    Only the model's score measures how sure a label is: a grid event type the text names
    and the keyword baseline's hits (which name a category or its keywords) are taken as
    they are, as before there was a threshold."""
    if not suggestions or getattr(suggestions, "by", "keywords") != "model":
        return False
    return suggestions[0][1] < auto_dispatch_min_score()


def _keyword_index():
    return versions.cached("categories", "keywords", _load_keyword_index)


def _load_keyword_index():
    """keyword -> list of category ids it votes for (leaf and its ancestors)."""
    categories = {pk: c for pk, c in reference.categories().by_id.items() if c.active}
    index = {}
    for category in categories.values():
        words = {category.name, *category.keywords}
        # "城市建设和市政管理" → also "城市建设", "市政管理"
        for part in category.name.replace("与", "和").replace("及", "和").split("和"):
            words.add(part)
        for word in words:
            word = word.strip()
            if len(word) >= MIN_KEYWORD and word not in {"其他"}:
                index.setdefault(word, set()).add(category.pk)
    return {word: sorted(ids) for word, ids in index.items()}, categories


def keyword_baseline(text, top=3):
    index, categories = _keyword_index()
    scores = {}
    for word, ids in index.items():
        weight = len(covered(word, text))
        if weight:
            for pk in ids:
                scores[pk] = scores.get(pk, 0.0) + weight
    # A grid event type the text places beyond the grid leaves its words to the taxonomy's
    # categories (高铁噪音 → 环境保护, not 噪声扰民).
    scores = {
        pk: score
        for pk, score in scores.items()
        if not (categories[pk].grid_event and beyond_the_grid(categories[pk], text))
    }
    if not scores:
        return []
    # A vote for a child also counts for its parents; prefer the most specific.
    totals = {}
    for pk, score in scores.items():
        node = categories[pk]
        depth_bonus = 1 + 0.1 * node.depth
        while node is not None:
            totals[node.pk] = totals.get(node.pk, 0.0) + score * depth_bonus
            node = categories.get(node.parent_id)
    best = max(totals.values())
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], -categories[kv[0]].depth))
    return [(categories[pk], round(score / best, 3)) for pk, score in ranked[:top]]


# How much of a text must name a grid event type: two of its words (楼道 + 堆满) or one word
# of four characters (消防通道), counted in characters.
CLEAR_EVENT = 4
# Urgency first when two event types cover as much of a text (安全出口被电动车挡住: the blocked
# exit is the hazard, whatever blocks it).
_URGENCY_RANK = {"emergency": 3, "utility": 2, "general": 1}


# How near each other the parts of a co-occurrence must be, in characters: 安全出口被电动车堵住
# is one matter; a letter naming 违规 in one sentence and 建了 in another is not 违章搭建.
NEAR = 12
# Co-occurrences are read in short texts only: a report (随手拍, a patrol hazard, an
# operator's summary) names one matter; a long letter names many, and on the shared message
# board's letters they took 公交线路的建议 as 线路破损 and 房屋质量 as 漏水停水 more often
# than they found a real grid event (docs/insights.md). Letters keep the single-word rule,
# for the types their head names (head, below).
CO_OCCURRENCE_UP_TO = 100
# A longer letter's grid event must be one its head (its title, or its first sentence) speaks
# of: a letter to the mayor names its matter first and mentions much else in passing (电线电缆
# 生意 in a court case, 共享单车 in a bus letter), so its body's words alone made a grid event
# right about half the time (bench/grid_events_letters.py on the judged sample of
# bench/grid_events_letters_judged.txt: 45 of 100; with the head, 35 of 45).
HEAD_END = re.compile(r"[\s。！？!?；;]")
# What a letter without a title opens with before it says anything: a salutation (尊敬的X书记：,
# 胡厅长，, 各位领导, B市教育局：) and a greeting (您好！, 你们好, 书记好), any of them, in any
# order, each with the punctuation and (full-width) spaces after it. The head is the first
# sentence after them; a letter led by them otherwise never had a grid event, its head being
# the greeting. An addressee is 尊敬的/敬爱的/亲爱的 and a few characters, or at most four
# characters and an official's title, before a pause or a greeting (投诉物业经理，… is no
# salutation), or an office before a colon; and in the shapes the letters without a title of the
# shared data also open with (bench/grid_events_letters.py --openings: 188 heads opened with one,
# 87 do now, most of them a sentence about 领导): an office named at length, 各位…大家好, an
# honorific addressee with no pause after it, a title glued before the salutation (GLUED_TITLE).
_TITLES = "领导|书记|市长|县长|区长|省长|镇长|乡长|局长|厅长|处长|科长|主任|部长|主席|委员|同志"
# ∶ (U+2236) stands for a colon in some letters (胡书记∶我叫…).
_PAUSE = r"\s。！？!?；;：:∶，,、…~～"
# 好 alone after an addressee (各位领导好！).
_GREETING = rf"(?:各位|大家|您|你|{_TITLES})们?好[啊呀]?|好[啊呀]?(?=[{_PAUSE}])|打扰了|打扰您了"
# What an addressee ends with: an official's title, an office, or a form of address (书记大人);
# not a 餐厅 or a 格局.
_ADDRESSEE = rf"(?:{_TITLES}|干部|政府|部门|(?<![格布结饭赌])局|委|(?<![餐客大舞歌展])厅|大队|中心|大人|先生)们?"
_HONORIFIC = "(?:(?:尊敬|敬爱|亲爱)的?|尊重的)"
# An addressee naming its office at length (C市教育局领导, A市市委胡华衡书记, K5县委、县政府、苏
# 书记): offices, 、 between them, up to 20 characters; not a report or a request (投诉物业经理),
# nor a title before its salutation (GLUED_TITLE), nor the writer (我今天要向各位领导，检举…).
_AT_LENGTH = rf"(?!投诉|举报|反映|关于|感谢|请|希望|要求|恳请|呼吁)(?:(?!{_HONORIFIC}|我|因为)[^{_PAUSE}]|、){{1,20}}?"
# A head after a salutation is a letter's first sentence, which runs on where a title stops, and
# the more it runs on the more it mentions in passing (没有消防通道 in a list of a compound's ills,
# a pig farm 臭气熏天): it is read only as far as a title goes, 32 characters (99% of the shared
# data's titles are no longer). Of the letters that gained a type by the skip, each judged
# (bench/grid_events_letters_judged_greetings.txt), 17 of 29 were right read whole, 10 of 11
# read so far. A self-introduction after the greeting (我是XX小区的业主，) is not skipped too:
# that typed 20 such letters, 15 right (docs/insights.md).
GREETED_HEAD_UP_TO = 32
# A title or government the letter goes on from, rather than one more addressee or a greeting.
_GOES_ON = (
    rf"(?:{_TITLES}|政府|部门)"
    rf"(?![{_PAUSE}]|{_TITLES}|政府|部门|及|和|并|与|们|大人|先生|负责人|同志|工作人员|好|您|你)"
)
SALUTATION = re.compile(
    # An honorific addressee runs to a pause or greeting, but not past a title the letter goes on
    # from (尊敬的领导我们小区楼道堆满杂物，: below).
    rf"(?:(?:{_HONORIFIC}(?:(?!{_GOES_ON})[^{_PAUSE}]){{1,14}}?|(?!投诉|举报|反映|关于|感谢)[^{_PAUSE}]{{0,4}}?"
    rf"(?:{_TITLES})们?)(?=[{_PAUSE}]|好|{_GREETING})|[^{_PAUSE}]{{1,6}}?(?:局|委|厅|政府|部门)(?=[：:])"
    # An addressee at length before a colon or a greeting (西地省环保厅领导：你们好), or before a
    # comma when it is the leaders (G市场监督管理局相关领导，我代表…).
    rf"|{_AT_LENGTH}{_ADDRESSEE}(?=[：:∶]|[，,、]?(?:{_GREETING}))|{_AT_LENGTH}领导们?(?=[，,])"
    # Anyone greeted by name (李菊：您好！).
    rf"|[^{_PAUSE}]{{1,6}}[：:∶](?=(?:您|你)们?好)"
    # 各位 and whom (各位领导干部大家好, 各位网友，大家好).
    rf"|各位[^{_PAUSE}]{{0,8}}?(?:{_ADDRESSEE}|网友|朋友|读者)(?=[{_PAUSE}]|好|{_GREETING})"
    # An honorific addressee the letter goes on from without a pause (尊敬的领导我是…, 尊敬的雷局长
    # 根据…): up to its last title or government in 16 characters (尊敬的F5县委县人民政府我们是…).
    rf"|{_HONORIFIC}[^{_PAUSE}]{{0,14}}(?:{_TITLES}|政府|部门)们?"
    rf"|{_GREETING})[{_PAUSE}]*"
)
# A title glued to a letter before its salutation (关于举报J7县山青采石场非法采矿洗砂尊敬的市、县
# 各级纪检委领导：…, B7县教育局不作为各位领导好，…, 故土难离，新家难入领导您好:): the head is the
# title, as a titled letter's is, unless it names an office the letter is sent to (A市人民政府尊敬
# 的胡华衡市长：), which is skipped with the salutation. The salutation must end in a pause or a
# greeting: 今天我要向尊敬的市长反映楼道堆物 is no title and a salutation.
GLUED_TITLE = re.compile(
    rf"([^\s。！？!?；;]{{2,40}}?)(?<![{_PAUSE}][^{_PAUSE}])(?={_HONORIFIC}(?:[^{_PAUSE}]|、){{1,20}}?"
    rf"(?:[：:∶]|[{_PAUSE}]*(?:{_GREETING}))|(?:各位|各级|相关)?{_ADDRESSEE}(?:好(?=[{_PAUSE}])|[{_PAUSE}]*(?:您|你|大家)们?好))"
)
ADDRESSED = re.compile(rf"{_AT_LENGTH}(?:{_ADDRESSEE}|人民政府)")
# A letter whose head proposes or asks (建议增设高杆灯, 咨询…安装标准, 对垃圾站选址的质疑,
# 请问…什么时候推广垃圾分类) is no report of an event on the spot, unless it also complains
# (投诉和建议).
ASKS = ("建议", "咨询", "政策", "质疑", "请问")
COMPLAINS = ("投诉", "举报")


def _at(word, text):
    """Every place of `word` in `text`."""
    places, at = [], text.find(word)
    while at >= 0:
        places.append(at)
        at = text.find(word, at + 1)
    return places


def covered(keyword, text):
    """The positions of `text` a keyword covers (empty when it is not found).

    A keyword is a word (楼道), or a co-occurrence: parts joined by "+", each listing
    alternatives joined by "|" ("安全出口|消防通道+堵|占|锁": an exit or fire lane, and
    something blocking or locking it), found when every part is found within NEAR
    characters of the first part. Single characters (堵, 锁) are only meaningful beside
    another part, so they appear in co-occurrences only.
    """
    if "+" not in keyword and "|" not in keyword:
        at = text.find(keyword) if keyword else -1
        return set(range(at, at + len(keyword))) if at >= 0 else set()
    parts = [
        [(at, w) for w in part.split("|") if w for at in _at(w, text)]
        for part in keyword.split("+")
    ]
    if not all(parts):
        return set()
    for anchor, first in parts[0]:
        positions = set(range(anchor, anchor + len(first)))
        for others in parts[1:]:
            near = [(at, w) for at, w in others if abs(at - anchor) <= NEAR]
            if not near:
                break
            at, word = max(near, key=lambda found: (len(found[1]), -abs(found[0] - anchor)))
            positions.update(range(at, at + len(word)))
        else:
            return positions
    return set()


def head(text):
    """A text's title or first sentence: up to its first space or sentence end, at most
    CO_OCCURRENCE_UP_TO characters (intake reads a demand as title + " " + description),
    after any salutation and greeting it opens with (SALUTATION: 尊敬的领导：您好！); or the
    title glued before them (GLUED_TITLE)."""
    text = text.lstrip()
    start = _past_salutations(text, 0)
    if not start and (glued := GLUED_TITLE.match(text)):
        title = glued.group(1)
        if not ADDRESSED.fullmatch(title):
            return title.rstrip("：:∶，,、…~～ ")[:CO_OCCURRENCE_UP_TO]
        start = _past_salutations(text, glued.end())
    end = HEAD_END.search(text, start)
    up_to = GREETED_HEAD_UP_TO if start else CO_OCCURRENCE_UP_TO
    return text[start : end.start() if end else len(text)][:up_to]


def _past_salutations(text, start):
    """Where `text` goes on after the salutations and greetings from `start`."""
    while (opening := SALUTATION.match(text, start)) and opening.end() > start:
        start = opening.end()
    return start


def _speaks_of(category, text):
    """Does `text` name the type or one of its words (not its co-occurrences)?"""
    return category.name in text or any(
        w in text for w in category.keywords if "+" not in w and len(w) >= MIN_KEYWORD
    )


def grid_event(text):
    """The grid event type (网格事件: 楼道堆物, 井盖缺失 …) a text clearly names, or None.

    Clearly: its name; or one of its co-occurrences (安全出口 + 堵, 井盖 + 没, 楼上 + 吵: a
    thing and what is wrong with it, written to be specific); or its words covering
    CLEAR_EVENT characters of the text: two words (楼道 + 堆满), or one long and specific
    one (消防通道). When several types qualify, the one whose words cover most of the text
    wins, the more urgent on a tie. A model trained on the city's message board knows the
    board's first-level categories, not the grid's own event types; a demand that names
    one is that event, and the grid handles it (小事不出网格). One generic word ("经营",
    "垃圾") is not enough, nor a text naming a source beyond the grid's reach (高铁噪音,
    充电桩: beyond_the_grid). A letter (over CO_OCCURRENCE_UP_TO characters) is read by its
    words alone, and only for the types its head (title or first sentence) speaks of; and
    for none when its head asks or proposes rather than reports (ASKS).
    """
    text = text or ""
    pairs = len(text) <= CO_OCCURRENCE_UP_TO
    top = None if pairs else head(text)
    if top is not None and any(w in top for w in ASKS) and not any(w in top for w in COMPLAINS):
        return None
    best, best_rank = None, None
    events = [c for c in reference.categories().by_id.values() if c.active and c.grid_event]
    for category in sorted(events, key=lambda c: c.code):
        if beyond_the_grid(category, text) or (top is not None and not _speaks_of(category, top)):
            continue
        positions, clear = set(), False
        for word in {w for w in category.keywords if len(w) >= MIN_KEYWORD}:
            if "+" in word and not pairs:
                continue
            found = covered(word, text)
            positions |= found
            clear = clear or bool(found and "+" in word)
        weight = len(positions)
        named = category.name in text
        if clear or named:
            weight = max(weight, CLEAR_EVENT)
        # A type the text names (噪声扰民 in a letter's title) wins over words of another
        # spread over its body.
        rank = (named, weight, _URGENCY_RANK.get(category.default_urgency, 0))
        if weight >= CLEAR_EVENT and (best_rank is None or rank > best_rank):
            best, best_rank = category, rank
    return best


def beyond_the_grid(category, text):
    """Does `text` place this grid event type's matter beyond the grid (a railway's noise,
    not a neighbour's)? By the words of categories.BEYOND_THE_GRID: a source the grid cannot
    deal with named, and no neighbour's noise beside it."""
    sources, neighbours = BEYOND_THE_GRID.get(category.name, ((), ()))
    return any(w in text for w in sources) and not any(w in text for w in neighbours)


def suggest_category(text, top=3):
    """Top categories for a demand's text, best first, scores in [0, 1]."""
    text = (text or "").strip()
    if not text:
        return Suggestions()
    backend = getattr(settings, "GRIDGOV_CLASSIFIER", None)
    if backend:
        return import_string(backend)(text, top=top)
    return Suggestions(keyword_baseline(text, top=top))
