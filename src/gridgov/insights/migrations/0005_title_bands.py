from django.db import migrations


def add_title_bands(apps, schema_editor):
    """Title band keys (dedupe.title_band_keys) for the signatures of tickets still open:
    only those can be offered as duplicates, and new tickets get them when indexed. Those
    with more than a text's bands have them already (run again after a reversal)."""
    from django.db.models import Count

    from gridgov.insights import dedupe
    from gridgov.tickets.models import FINAL_STATUSES

    TextSignature = apps.get_model("insights", "TextSignature")
    SignatureBand = apps.get_model("insights", "SignatureBand")
    rows = (
        TextSignature.objects.exclude(ticket__status__in=FINAL_STATUSES)
        .annotate(n=Count("bands"))
        .filter(n__lte=dedupe.BANDS)
        .values_list("id", "ticket__title", "created_at")
    )
    batch = []
    for sig_id, title, at in rows.iterator(chunk_size=2000):
        batch += [
            SignatureBand(signature_id=sig_id, key=key, created_at=at)
            for key in dedupe.title_band_keys(title)
        ]
        if len(batch) >= 5000:
            SignatureBand.objects.bulk_create(batch)
            batch = []
    SignatureBand.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("insights", "0004_one_classifier_in_use_hot_issue_decisions")]

    operations = [migrations.RunPython(add_title_bands, migrations.RunPython.noop)]
