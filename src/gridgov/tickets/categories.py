"""The category tree: the official three-level taxonomy plus grid event types.

The taxonomy (15/103/390 labels) is the one published with the 2020 Teddy Cup
message-board data (`data/taxonomy.csv`, shipped with the package). Grid event
types are what grid workers meet on patrol; they are handled in the grid.
"""

import csv
from pathlib import Path

from django.db import transaction

from .models import Category, HomeLevel, Urgency

TAXONOMY_CSV = Path(__file__).parent / "data" / "taxonomy.csv"

# Where a first-level category is handled unless a routing rule says otherwise.
HOME_LEVELS = {
    "城乡建设": HomeLevel.COMMUNITY,
    "环境保护": HomeLevel.STREET,
    "民政": HomeLevel.COMMUNITY,
    "政法": HomeLevel.STREET,
}
# Second-level categories that are public-space matters (shown on public maps).
PUBLIC_SPACE = {"城市建设和市政管理", "交通管理", "环境污染", "交通运输"}

# Second-level categories (first-level name, name) whose matters are one person's or one
# family's: the request itself tells something about someone (a report of 违法生育 at a
# building, a 低保 claim, a lawsuit, a complaint about an official), so it is never
# published (Category.private), text or not. Staff may mark more in the admin.
PRIVATE = {
    ("卫生计生", "人口计生"),
    ("卫生计生", "医患纠纷"),
    ("民政", "社会救助"),
    ("民政", "社会服务"),
    ("民政", "优抚"),
    ("民政", "复退安置"),
    ("劳动和社会保障", "劳动关系"),
    ("教育文体", "失学辍学"),
    *(
        ("政法", name)
        for name in (
            "仲裁与调解",
            "刑案侦破",
            "刑罚执行",
            "户籍证件",
            "法律服务",
            "社会治安",
            "行政复议",
            "警务督察",
            "诉讼",
        )
    ),
}
# First-level categories private as a whole: reports on officials (纪检监察).
PRIVATE_TOP = {"纪检监察"}

# Words residents use for each first-level category, for the keyword baseline classifier.
KEYWORDS = {
    "城乡建设": [
        "小区",
        "物业",
        "房屋",
        "施工",
        "道路",
        "拆迁",
        "违建",
        "路灯",
        "供水",
        "停水",
        "燃气",
        "电梯",
        "业主",
    ],
    "环境保护": ["污染", "噪音", "噪声", "排放", "臭味", "废气", "污水", "粉尘", "油烟", "扰民"],
    "交通运输": ["公交", "出租车", "客运", "线路", "站台", "地铁", "网约车", "车站", "货车"],
    "教育文体": ["学校", "上学", "老师", "教师", "学生", "幼儿园", "学位", "招生", "补课", "课外"],
    "劳动和社会保障": [
        "社保",
        "工资",
        "养老",
        "医保",
        "退休",
        "拖欠",
        "劳动合同",
        "失业",
        "公积金",
    ],
    "卫生计生": ["医院", "医生", "疫苗", "生育", "诊所", "卫生院", "医疗", "计生", "药店"],
    "商贸旅游": ["商家", "消费者", "旅游", "价格", "超市", "传销", "景区", "退款", "商铺"],
    "民政": ["低保", "养老院", "残疾", "救助", "社区", "殡葬", "婚姻登记"],
    "政法": ["派出所", "警察", "户口", "诈骗", "治安", "盗窃", "身份证"],
}

GRID_EVENTS_CODE = "GE"
GRID_EVENTS = [
    # (name, urgency, keywords). Keywords are words (楼道) or co-occurrences ("楼上|楼下+吵":
    # a thing and what is wrong with it; tickets.classify.covered). Appended types keep the
    # codes of those before (GE.01 …). Words learnt later reach databases seeded before by a
    # migration: 0005 (堆满, 纸箱, 旧家具), 0006 (破了皮 … 井盖没了 …), 0014 (the
    # co-occurrences, 电动车违规充电, 小广告乱贴), tested on residents' and grid workers' own
    # phrasings (tests/tickets/test_grid_event_phrasings.py).
    (
        "楼道堆物",
        Urgency.GENERAL,
        ["楼道", "堆物", "杂物", "堆放", "过道", "堆满", "纸箱", "旧家具"]
        + ["楼梯间", "楼梯口", "走廊", "废品", "纸壳", "纸板", "囤积", "泡沫箱"]
        + ["楼道|楼梯|走廊|过道+堆|占|放|杂物"],
    ),
    (
        "线路破损",
        Urgency.UTILITY,
        ["电线", "线路", "破损", "飞线", "漏电", "裸露", "破了皮", "破皮", "老化", "私拉乱接"]
        + ["电箱", "配电箱", "线头", "电缆", "电线|线路|电缆+破|断|掉|垂|耷拉|咬|烧|火花"],
    ),
    # 充电 went to 电动车违规充电 (0014 takes it off this type's row).
    (
        "电动车乱停乱放",
        Urgency.GENERAL,
        ["电动车", "乱停", "乱放", "停放", "电瓶车", "共享单车", "乱摆", "停满"]
        + ["电动车|电瓶车|自行车|单车|摩托车+停在|停到|乱停|乱放|乱摆|停满|堆在|盲道|占"],
    ),
    # Blocked or locked, whatever blocks it: 安全出口被电动车堵住 is this, not the bike's type.
    (
        "消防通道堵塞",
        Urgency.EMERGENCY,
        ["消防通道", "消防车道", "堵塞", "占用消防", "生命通道", "疏散通道", "逃生通道"]
        + ["安全出口|消防通道|消防车道|疏散通道|生命通道|逃生通道+堵|占|锁|挡|封|停|堆"]
        + ["防火门|楼梯间+锁|堵"],
    ),
    (
        "占道经营",
        Urgency.GENERAL,
        ["占道", "摆摊", "流动摊贩", "经营", "小摊", "摊贩", "出店经营", "早市", "烧烤摊"]
        + [
            "摆摊|摊贩|小摊|摊位|烧烤摊|卖菜|水果摊|菜贩|小贩+人行道|马路|路边|路口|路中间|门口|占|堵"
        ],
    ),
    (
        "垃圾暴露",
        Urgency.GENERAL,
        ["垃圾", "暴露", "清运", "垃圾桶", "恶臭", "建筑垃圾", "装修垃圾", "垃圾袋", "臭气熏天"]
        + ["垃圾+满了|装满|堆满|满地|溢|没人清|没人收|没人管|乱扔|乱倒|乱丢|堆|臭"],
    ),
    (
        "违章搭建",
        Urgency.GENERAL,
        ["违章", "违建", "搭建", "加建", "私搭乱建", "加盖", "彩钢房", "扩建", "圈地", "私建"]
        + ["私自|违规|擅自|占用|楼顶|屋顶|院子|绿地|空地+搭|建房|建了|加盖|盖了|盖房"],
    ),
    (
        "噪声扰民",
        Urgency.GENERAL,
        ["噪音", "噪声", "扰民", "施工声", "喧哗"]
        + [
            "楼上|楼下|隔壁|邻居|广场舞|音响|KTV|狗|半夜|深夜|空调外机+吵|噪音|噪声|扰民|喧哗|声音太大|声音很大",
            "狗+叫",
        ],
    ),
    (
        "井盖缺失",
        Urgency.EMERGENCY,
        ["井盖", "窨井", "缺失", "下水道", "井盖没了", "没有井盖", "井盖丢", "井盖坏", "井盖松动"]
        + ["井盖+破|碎|塌|陷|翻|丢|偷|没|松|坏|缺"]
        + ["下水道|窨井|雨水井|污水井+盖子|盖板", "盖子|盖板+偷|丢|没了"],
    ),
    (
        "路灯损坏",
        Urgency.GENERAL,
        ["路灯", "不亮", "照明", "路灯+坏|灭|闪|歪|倒|黑|亮着|不开|没开"],
    ),
    (
        "高空抛物",
        Urgency.EMERGENCY,
        ["高空", "抛物", "坠物"]
        + ["楼上|窗户|窗外|阳台|楼顶|高处+往下扔|扔|丢|抛|泼|砸|掉下|坠落"]
        + ["瓷砖|外墙|墙皮+脱落|掉|砸"],
    ),
    (
        "漏水停水",
        Urgency.UTILITY,
        ["漏水", "停水", "水管", "爆管", "停水了", "没水了"]
        + ["水管|管道|自来水管|消防栓|水表+爆|破|裂|漏水|渗水|冒水"]
        + ["楼上|楼下|卫生间|天花板|屋顶+漏水|渗水|滴水"]
        + ["停水|没水|没有水+突然|没通知|一整天|好几天|了"],
    ),
    # New in 0014. 飞线充电, 电动车进楼道、入户充电: the fire hazard on every grid worker's
    # daily patrol checklist (demo.fieldwork.DAILY), not a parking matter.
    (
        "电动车违规充电",
        Urgency.EMERGENCY,
        ["飞线充电", "入户充电", "楼道充电", "违规充电", "拉线充电", "私拉电线"]
        + ["电动车|电瓶车|电池|电瓶+充电"]
        + ["楼道|楼梯间|电梯+充电"]
        + [
            "飞线|拉线|拉了根线|接线|私拉+充电",
            "电动车|电瓶车+上楼|进电梯|推进电梯|入户|推到家|带回家",
        ],
    ),
    # New in 0014: cleared by the grid worker on the spot (小事不出网格).
    (
        "小广告乱贴",
        Urgency.GENERAL,
        ["小广告", "牛皮癣", "乱贴", "乱涂乱画", "乱张贴", "涂鸦"]
        + ["广告|牛皮癣+贴|满|全是|到处|太多", "办证|开锁|疏通+贴|喷|刷"],
    ),
    # New in 0023: what the fire patrol checks (demo.fieldwork.FIRE: 消火栓与灭火器, 高层楼道
    # 烟感) had no type of its own, so a grid worker's 灭火器过期 was guessed at by the board's
    # model (环境保护 26 %, 商贸旅游 26 %) and waited at the street's desk.
    (
        "消防设施损坏",
        Urgency.GENERAL,
        ["灭火器", "消火栓", "烟感", "烟雾报警", "喷淋", "应急灯", "疏散指示", "消防器材"]
        + ["消防设施", "消防水带", "消防箱"]
        + [
            "灭火器|消火栓|消防栓|消防箱|消防水带|烟感|烟雾报警器|喷淋|应急灯|疏散指示|消防器材|消防设施"
            "+过期|失效|坏|缺|没有|丢|不亮|空|压力|被偷|锈|没水|不响|拆"
        ],
    ),
]


# Grid event types whose words also describe matters beyond a grid worker's reach:
# {name: (sources, neighbours)}. A text naming one of the sources is not taken as that event
# (tickets.classify.beyond_the_grid), and the classifier's category stands: the noise of a
# railway, a motorway, an airport, a building site or a plant is for the departments that
# license and police them (生态环境, 住建, 城管, 交通, 铁路), not a 小事 to settle in the
# grid. Unless the text also names a neighbour's noise (楼上装修, 广场舞), which it then is.
# 火车 and 地铁 are left out: 火车站 and 地铁口 place a neighbour's noise as often as not.
# Likewise charging points (充电桩: where to build them, what they cost) are no hazard of
# 电动车违规充电, unless someone charges in a corridor or home, or by a flying lead, anyway.
BEYOND_THE_GRID = {
    "噪声扰民": (
        # rail, roads, air
        ("高铁", "铁路", "动车", "轻轨", "城轨", "高速", "高架", "快速路", "货车", "渣土车")
        + ("飙车", "隔音屏", "机场", "飞机")
        # building sites, plants, works (道路施工, 地铁施工, 夜间施工: the builder's permit and
        # hours, 城管 and 住建; a neighbour's 装修 is named among the neighbours below)
        + ("工地", "在建", "搅拌", "工厂", "厂区", "厂房", "屠宰场", "变电站", "施工"),
        ("楼上", "装修", "广场舞", "邻居", "隔壁"),
    ),
    "电动车违规充电": (
        ("充电桩", "充电站", "充电棚", "充电车棚", "充电设施"),
        ("飞线", "拉线", "私拉", "楼道", "家里", "入户", "电梯"),
    ),
}


def add_event_keywords(Category, added):  # noqa: N803 (a migration's historical model)
    """Give grid event types ({name: [words]}) the words their rows lack, for a database
    seeded before GRID_EVENTS learnt them; other words stay. True when a row changed."""
    changed = False
    for name, words in added.items():
        for category in Category.objects.filter(grid_event=True, name=name):
            missing = [w for w in words if w not in category.keywords]
            if missing:
                category.keywords = [*category.keywords, *missing]
                category.save(update_fields=["keywords"])
                changed = True
    return changed


def drop_event_keywords(Category, dropped):  # noqa: N803 (a migration's historical model)
    """Take words ({name: [words]}) off grid event types that learnt a better home for them
    (充电: 电动车违规充电, no longer 电动车乱停乱放). True when a row changed."""
    changed = False
    for name, words in dropped.items():
        for category in Category.objects.filter(grid_event=True, name=name):
            kept = [w for w in category.keywords if w not in words]
            if kept != category.keywords:
                category.keywords = kept
                category.save(update_fields=["keywords"])
                changed = True
    return changed


def add_event_types(Category, names):  # noqa: N803 (a migration's historical model)
    """Create the grid event types of GRID_EVENTS named (under 网格事件, with the next free
    code) that a database seeded before lacks; one that has it keeps its row. True when a
    row was created."""
    parent = Category.objects.filter(code=GRID_EVENTS_CODE).first()
    if parent is None:  # no taxonomy loaded: load_taxonomy creates them all
        return False
    changed = False
    for name, urgency, keywords in GRID_EVENTS:
        if name not in names or Category.objects.filter(grid_event=True, name=name).exists():
            continue
        codes = set(Category.objects.values_list("code", flat=True))
        index = 1
        while f"{GRID_EVENTS_CODE}.{index:02d}" in codes:
            index += 1
        Category.objects.create(
            code=f"{GRID_EVENTS_CODE}.{index:02d}",
            name=name,
            parent=parent,
            depth=2,
            home_level=HomeLevel.GRID,
            grid_event=True,
            public=True,
            public_space=True,
            default_urgency=urgency,
            keywords=list(keywords),
        )
        changed = True
    return changed


def _code(*indexes):
    return "C" + ".".join(f"{i:02d}" for i in indexes)


@transaction.atomic
def mark_private(Category, categories):  # noqa: N803 (a model class)
    """Mark private those of `categories` that are, or are under, a category of PRIVATE or
    PRIVATE_TOP; → how many were marked."""
    by_id = {c.pk: c for c in Category.objects.all()}
    marked = []
    for category in categories:
        path, node = [], by_id.get(category.pk, category)
        while node is not None:
            path.insert(0, node.name)
            node = by_id.get(node.parent_id)
        private = path[0] in PRIVATE_TOP or tuple(path[:2]) in PRIVATE
        if private and not category.private:
            category.private = True
            marked.append(category)
    Category.objects.bulk_update(marked, ["private"])
    return len(marked)


def load_taxonomy(path=TAXONOMY_CSV, Category=Category):  # noqa: N803 (a model class)
    """Create the category tree if absent; existing codes are left alone. Returns count created.

    `Category` may be a migration's historical model.
    """
    # Read in one query: the test worlds and the demo load the tree onto one that is there.
    existing = {c.code: c for c in Category.objects.all()}
    created = 0
    index1, index2, index3 = {}, {}, {}
    nodes = {}

    def get(code, name, parent, depth, **extra):
        nonlocal created
        if code in nodes:
            return nodes[code]
        if code in existing:
            node = existing[code]
        else:
            node = Category.objects.create(
                code=code, name=name, parent=parent, depth=depth, **extra
            )
            created += 1
        nodes[code] = node
        return node

    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            l1, l2, l3 = row["level1"].strip(), row["level2"].strip(), row["level3"].strip()
            i1 = index1.setdefault(l1, len(index1) + 1)
            i2 = index2.setdefault((l1, l2), sum(1 for k in index2 if k[0] == l1) + 1)
            i3 = index3.setdefault((l1, l2, l3), sum(1 for k in index3 if k[:2] == (l1, l2)) + 1)
            home = HOME_LEVELS.get(l1, HomeLevel.DEPARTMENT)
            top = get(
                _code(i1), l1, None, 1, home_level=home, public=True, keywords=KEYWORDS.get(l1, [])
            )
            mid = get(_code(i1, i2), l2, top, 2, home_level=home, public_space=l2 in PUBLIC_SPACE)
            get(_code(i1, i2, i3), l3, mid, 3, home_level=home, public_space=l2 in PUBLIC_SPACE)
    if any(f.name == "private" for f in Category._meta.get_fields()):  # 0002's model: not yet
        mark_private(Category, [nodes[code] for code in nodes if code not in existing])
    events = get(GRID_EVENTS_CODE, "网格事件", None, 1, home_level=HomeLevel.GRID, public=True)
    for i, (name, urgency, keywords) in enumerate(GRID_EVENTS, start=1):
        get(
            f"{GRID_EVENTS_CODE}.{i:02d}",
            name,
            events,
            2,
            home_level=HomeLevel.GRID,
            grid_event=True,
            public=True,
            public_space=True,
            default_urgency=urgency,
            keywords=keywords,
        )
    return created
