"""时限修改记录: who changed which time limits when, and the values in force before, also
when a district returns to the city-wide limits (恢复使用全市设置)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0002_chinese_verbose_names"),
        ("tickets", "0017_kpi_weights_follows_city"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TimeLimitChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("saved", "Saved"),
                            ("removed", "Removed"),
                            ("follows_city", "Returned to the city-wide time limits"),
                        ],
                        max_length=16,
                        verbose_name="action",
                    ),
                ),
                ("at", models.DateTimeField(db_index=True, verbose_name="at")),
                ("limits", models.JSONField(default=list, verbose_name="time limits")),
                ("before", models.JSONField(blank=True, default=list, verbose_name="before")),
                ("reason", models.CharField(blank=True, max_length=300, verbose_name="reason")),
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
                (
                    "district",
                    models.ForeignKey(
                        blank=True,
                        limit_choices_to={"level": "district"},
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="time_limit_changes",
                        to="places.place",
                        verbose_name="district",
                    ),
                ),
            ],
            options={
                "verbose_name": "time limit change",
                "verbose_name_plural": "time limit changes",
                "ordering": ["-at", "-id"],
            },
        ),
    ]
