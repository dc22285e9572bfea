"""Grid event types learn how residents and grid workers write them
(tests/tickets/test_grid_event_phrasings.py): co-occurrences of a thing and what is wrong with
it ("安全出口|消防通道+堵|占|锁": 安全出口被电动车堵住 is 消防通道堵塞, where the board's model
said 城乡建设), and more of their words (楼梯间, 私搭乱建, 牛皮癣 …), in tickets.classify.grid_event.
Two types a grid worker meets on every walk are new: 电动车违规充电 (飞线充电, 电动车进楼道充电,
a fire hazard; 电动车乱停乱放 gives up 充电 to it) and 小广告乱贴.

A database seeded before gets whichever words its rows lack, and the new types with the next
free codes (a fresh one has them from 0002's tickets.categories.load_taxonomy); staff's own
words stay.
"""

from django.db import migrations

ADDED = {
    "楼道堆物": [
        "楼梯间",
        "楼梯口",
        "走廊",
        "废品",
        "纸壳",
        "纸板",
        "囤积",
        "泡沫箱",
        "楼道|楼梯|走廊|过道+堆|占|放|杂物",
    ],
    "线路破损": ["电箱", "配电箱", "线头", "电缆", "电线|线路|电缆+破|断|掉|垂|耷拉|咬|烧|火花"],
    "电动车乱停乱放": [
        "电瓶车",
        "共享单车",
        "乱摆",
        "停满",
        "电动车|电瓶车|自行车|单车|摩托车+停在|停到|乱停|乱放|乱摆|停满|堆在|盲道|占",
    ],
    "消防通道堵塞": [
        "生命通道",
        "疏散通道",
        "逃生通道",
        "安全出口|消防通道|消防车道|疏散通道|生命通道|逃生通道+堵|占|锁|挡|封|停|堆",
        "防火门|楼梯间+锁|堵",
    ],
    "占道经营": [
        "小摊",
        "摊贩",
        "出店经营",
        "早市",
        "烧烤摊",
        "摆摊|摊贩|小摊|摊位|烧烤摊|卖菜|水果摊|菜贩|小贩+人行道|马路|路边|路口|路中间|门口|占|堵",
    ],
    "垃圾暴露": [
        "建筑垃圾",
        "装修垃圾",
        "垃圾袋",
        "臭气熏天",
        "垃圾+满了|装满|堆满|满地|溢|没人清|没人收|没人管|乱扔|乱倒|乱丢|堆|臭",
    ],
    "违章搭建": [
        "私搭乱建",
        "加盖",
        "彩钢房",
        "扩建",
        "圈地",
        "私建",
        "私自|违规|擅自|占用|楼顶|屋顶|院子|绿地|空地+搭|建房|建了|加盖|盖了|盖房",
    ],
    "噪声扰民": [
        "喧哗",
        "楼上|楼下|隔壁|邻居|广场舞|音响|KTV|狗|半夜|深夜|空调外机+吵|噪音|噪声|扰民|喧哗|声音太大|声音很大",
        "狗+叫",
    ],
    "井盖缺失": [
        "井盖+破|碎|塌|陷|翻|丢|偷|没|松|坏|缺",
        "下水道|窨井|雨水井|污水井+盖子|盖板",
        "盖子|盖板+偷|丢|没了",
    ],
    "路灯损坏": ["路灯+坏|灭|闪|歪|倒|黑|亮着|不开|没开"],
    "高空抛物": [
        "楼上|窗户|窗外|阳台|楼顶|高处+往下扔|扔|丢|抛|泼|砸|掉下|坠落",
        "瓷砖|外墙|墙皮+脱落|掉|砸",
    ],
    "漏水停水": [
        "停水了",
        "没水了",
        "水管|管道|自来水管|消防栓|水表+爆|破|裂|漏水|渗水|冒水",
        "楼上|楼下|卫生间|天花板|屋顶+漏水|渗水|滴水",
        "停水|没水|没有水+突然|没通知|一整天|好几天|了",
    ],
}
DROPPED = {"电动车乱停乱放": ["充电"]}
NEW_TYPES = ["电动车违规充电", "小广告乱贴"]


def learn(apps, schema_editor):
    from gridgov.core import versions
    from gridgov.tickets import categories

    Category = apps.get_model("tickets", "Category")  # noqa: N806 (a model class)
    added = categories.add_event_keywords(Category, ADDED)
    dropped = categories.drop_event_keywords(Category, DROPPED)
    created = categories.add_event_types(Category, NEW_TYPES)
    if added or dropped or created:
        versions.bump("categories")  # historical models send no signals


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_chinese_verbose_names")]
    operations = [migrations.RunPython(learn, migrations.RunPython.noop)]
