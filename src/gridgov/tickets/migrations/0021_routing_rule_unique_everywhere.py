"""One routing rule for everywhere (全区) per category.

The unique constraint on (category, place) let a rule without a place repeat (NULL places
differ), and routing used only the earliest of them (_rule_for): the later ones were dead
rows staff saw and could edit in vain. Before the constraint, a deployed database's
duplicates go: the earliest rule stays, as it is the one that routed; each later one is
deleted and written into the kept rule's note (shown on the routing page: routing rules
have no change record) and the migration's output, so nothing goes unsaid. Tickets it
sent keep their owner and the dispatch event's record of the rule (route_data).
"""

from django.db import migrations, models

NOTE_MAX = 200  # RoutingRule.note's max_length


def removal_note(kept_note, removed):
    """The kept rule's note with the removed duplicates said after it, cut to the field."""
    said = "；".join(
        f"删除了重复的全区规则#{r.pk}（→{r.department.name}"
        + (f"，备注：{r.note}" if r.note else "")
        + "）"
        for r in removed
    )
    note = f"{kept_note}｜{said}" if kept_note else said
    return note if len(note) <= NOTE_MAX else note[: NOTE_MAX - 1] + "…"


def remove_duplicates(apps, schema_editor):
    from gridgov.core import versions

    RoutingRule = apps.get_model("tickets", "RoutingRule")
    everywhere = RoutingRule.objects.filter(place__isnull=True)
    repeated = (
        everywhere.values("category_id")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
        .values_list("category_id", flat=True)
    )
    removed_any = False
    for category_id in list(repeated):
        kept, *removed = (
            everywhere.filter(category_id=category_id)
            .select_related("category", "department")
            .order_by("id")
        )
        kept.note = removal_note(kept.note, removed)
        kept.save(update_fields=["note"])
        for rule in removed:
            print(
                f"\n  Routing rule #{rule.pk} removed: {rule.category.code} everywhere → "
                f"{rule.department.code} (note: {rule.note!r}), a duplicate of #{kept.pk} "
                f"→ {kept.department.code}, which routing used.",
                end="",
            )
        RoutingRule.objects.filter(pk__in=[r.pk for r in removed]).delete()
        removed_any = True
    if removed_any:
        # Historical models send no signals: tell the processes' caches (core.versions).
        versions.bump("routing")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("people", "0007_password_reset_api_channel"),
        ("places", "0002_chinese_verbose_names"),
        ("tickets", "0020_lean_ticket_and_event_indexes"),
    ]

    operations = [
        migrations.RunPython(remove_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="routingrule",
            constraint=models.UniqueConstraint(
                condition=models.Q(("place__isnull", True)),
                fields=("category",),
                name="routing_rule_unique_everywhere",
                violation_error_code="unique",
                violation_error_message=(
                    "This category has a rule for everywhere already: change that rule "
                    "rather than adding another, which would never be used."
                ),
            ),
        ),
    ]
