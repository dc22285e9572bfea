"""A grid event type for broken or expired fire equipment (消防设施损坏: 灭火器过期, 消火栓没水,
烟感不响): what the fire patrol checks had no type of its own, so a grid worker's hazard was
guessed at by the message board's model and waited at the street's desk. A database seeded
before gets it with the next free code (a fresh one has it from 0002's load_taxonomy).
"""

from django.db import migrations


def add(apps, schema_editor):
    from gridgov.core import versions
    from gridgov.tickets import categories

    Category = apps.get_model("tickets", "Category")  # noqa: N806 (a model class)
    if categories.add_event_types(Category, ["消防设施损坏"]):
        versions.bump("categories")  # historical models send no signals


class Migration(migrations.Migration):
    dependencies = [("tickets", "0022_ticket_text_trigram_indexes")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
