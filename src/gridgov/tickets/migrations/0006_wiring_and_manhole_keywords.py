"""线路破损 and 井盖缺失 learn the words residents use ("楼道里电线破了皮", "井盖没了"), so that
such a 随手拍 is that grid event (tickets.classify.grid_event) and goes to the grid.

A database seeded before gets whichever of them its rows lack (as 0005 did for 楼道堆物).
"""

from django.db import migrations

ADDED = {
    "线路破损": ["破了皮", "破皮", "老化", "私拉乱接"],
    "井盖缺失": ["井盖没了", "没有井盖", "井盖丢", "井盖坏", "井盖松动"],
}


def add_keywords(apps, schema_editor):
    from gridgov.core import versions
    from gridgov.tickets.categories import add_event_keywords

    if add_event_keywords(apps.get_model("tickets", "Category"), ADDED):
        versions.bump("categories")  # historical models send no signals


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_corridor_keywords")]
    operations = [migrations.RunPython(add_keywords, migrations.RunPython.noop)]
