"""楼道堆物 learns the words residents use for it (堆满, 纸箱, 旧家具), so that a 随手拍 saying
"楼道里堆满了纸箱" is that grid event (tickets.classify.grid_event) and goes to the grid.

A database seeded before gets whichever of them its row lacks; its other words stay as
they are.
"""

from django.db import migrations

ADDED = {"楼道堆物": ["堆满", "纸箱", "旧家具"]}


def add_keywords(apps, schema_editor):
    from gridgov.core import versions
    from gridgov.tickets.categories import add_event_keywords

    if add_event_keywords(apps.get_model("tickets", "Category"), ADDED):
        # Historical models send no signals: tell the processes' caches (core.versions).
        versions.bump("categories")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("tickets", "0004_ticket_lean_indexes")]
    operations = [migrations.RunPython(add_keywords, migrations.RunPython.noop)]
