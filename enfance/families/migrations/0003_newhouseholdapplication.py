"""Pre-registrations of new households now belong to `families` (they create households); same table."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("families", "0002_reference_counter_and_unaccent"),
        ("changes", "0002_request_types"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="NewHouseholdApplication",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="reçue le")),
                    ("status", models.CharField(choices=[("pending", "En attente"), ("approved", "Validée"),
                                                         ("rejected", "Refusée")], db_index=True, default="pending",
                                                max_length=10, verbose_name="état")),
                    ("payload", models.JSONField(default=dict)),
                    ("contact_email", models.EmailField(blank=True, max_length=254,
                                                        verbose_name="adresse électronique")),
                    ("decided_at", models.DateTimeField(blank=True, null=True)),
                    ("answer", models.TextField(blank=True, max_length=2000, verbose_name="réponse")),
                    ("dossier_received_on", models.DateField(blank=True, null=True,
                                                             verbose_name="dossier papier signé reçu le")),
                    ("decided_by", models.ForeignKey(blank=True, null=True,
                                                     on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                                     to=settings.AUTH_USER_MODEL)),
                    ("family", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                 related_name="+", to="families.family")),
                ],
                options={
                    "verbose_name": "pré-inscription d'une nouvelle famille",
                    "ordering": ["-created_at", "-id"],
                    "db_table": "changes_newhouseholdapplication",
                },
            ),
        ]),
    ]
