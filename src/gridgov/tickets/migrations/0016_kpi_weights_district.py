"""考核权重 per district: a KpiWeights row may name a district, whose streets, communities,
grids and departments it scores; existing rows have none and stay the deployment's (全市)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0002_chinese_verbose_names"),
        ("tickets", "0015_kpi_weights"),
    ]

    operations = [
        migrations.AddField(
            model_name="kpiweights",
            name="district",
            field=models.ForeignKey(
                blank=True,
                limit_choices_to={"level": "district"},
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="kpi_weights",
                to="places.place",
                verbose_name="district",
            ),
        ),
    ]
