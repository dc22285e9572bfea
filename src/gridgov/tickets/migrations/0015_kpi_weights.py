"""考核权重 set by district staff (tickets.kpis.weights): one row per change, never updated,
so the weights that scored any period can be told. With no row the settings' weights
(GRIDGOV_KPI_WEIGHTS over the defaults) stay in force, as before."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0014_grid_event_phrasings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="KpiWeights",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("response", models.FloatField(verbose_name="response rate weight")),
                ("resolution", models.FloatField(verbose_name="resolution rate weight")),
                ("satisfaction", models.FloatField(verbose_name="satisfaction rate weight")),
                ("on_time", models.FloatField(verbose_name="on-time rate weight")),
                ("whistle", models.FloatField(verbose_name="whistle reports weight")),
                ("valid_from", models.DateTimeField(db_index=True, verbose_name="in force from")),
                ("reason", models.CharField(max_length=300, verbose_name="reason")),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="changed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "KPI weights",
                "verbose_name_plural": "KPI weights",
                "ordering": ["-valid_from", "-id"],
            },
        ),
    ]
