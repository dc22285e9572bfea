from django.db import migrations


def load(apps, schema_editor):
    from gridgov.tickets.categories import load_taxonomy
    from gridgov.tickets.sla import DEFAULT_LIMITS

    load_taxonomy(Category=apps.get_model("tickets", "Category"))
    TimeLimit = apps.get_model("tickets", "TimeLimit")
    for urgency, ((av, au), (rv, ru), (sv, su)) in DEFAULT_LIMITS.items():
        TimeLimit.objects.get_or_create(
            urgency=urgency,
            category=None,
            defaults=dict(
                accept_value=av,
                accept_unit=au,
                respond_value=rv,
                respond_unit=ru,
                resolve_value=sv,
                resolve_unit=su,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
