"""Category.private: matters of one person or family are never published (Open311).

A database seeded before gets the taxonomy's private categories (categories.PRIVATE)
marked; categories staff added are left to staff.
"""

from django.db import migrations, models


def mark(apps, schema_editor):
    from gridgov.core import versions
    from gridgov.tickets.categories import mark_private

    Category = apps.get_model("tickets", "Category")
    if mark_private(Category, list(Category.objects.all())):
        # Historical models send no signals: tell the processes' caches (core.versions).
        versions.bump("categories")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("tickets", "0008_ticketevent_kpi_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="private",
            field=models.BooleanField(
                default=False, verbose_name="private matter (never published)"
            ),
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
