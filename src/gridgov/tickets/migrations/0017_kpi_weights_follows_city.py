"""考核权重: a district may return to the whole deployment's (全市) weights; the return is a
row of its own (follows_city), so earlier rows and periods stay as they were."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0016_kpi_weights_district"),
    ]

    operations = [
        migrations.AddField(
            model_name="kpiweights",
            name="follows_city",
            field=models.BooleanField(
                default=False, verbose_name="follows the whole deployment's weights"
            ),
        ),
    ]
