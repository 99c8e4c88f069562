"""Requests name a registered request type; lines and a pending-key constraint; pre-registrations move to families.

The table of pre-registrations stays where it is: only Django's idea of which app owns it changes.
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill_conflict_keys(apps, schema_editor):
    ChangeRequest = apps.get_model("changes", "ChangeRequest")
    seen = set()
    for change in ChangeRequest.objects.filter(status="pending").exclude(kind="add").order_by("created_at", "pk"):
        key = f"{change.request_type}:f{change.family_id}:c{change.child_id or ''}:t{change.target_id or ''}"
        if key not in seen:
            seen.add(key)
            ChangeRequest.objects.filter(pk=change.pk).update(conflict_key=key)


class Migration(migrations.Migration):

    dependencies = [
        ("changes", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="NewHouseholdApplication")]),
        migrations.RenameField(model_name="changerequest", old_name="category", new_name="request_type"),
        migrations.AlterField(
            model_name="changerequest", name="request_type",
            field=models.CharField(db_index=True, max_length=40, verbose_name="type de demande"),
        ),
        migrations.RemoveField(model_name="changerequest", name="proposed_display"),
        migrations.AddField(
            model_name="changerequest", name="conflict_key",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="changerequest", name="kind",
            field=models.CharField(choices=[("fields", "Modification"), ("add", "Ajout"), ("change", "Modification"),
                                            ("remove", "Suppression"), ("file", "Nouveau fichier"),
                                            ("lines", "Demande groupée")], max_length=10, verbose_name="nature"),
        ),
        migrations.RunPython(backfill_conflict_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="changerequest",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "pending"),
                                                                  models.Q(("conflict_key", ""), _negated=True)),
                                               fields=("conflict_key",), name="one_pending_request_per_key"),
        ),
        migrations.CreateModel(
            name="RequestLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(default=0)),
                ("payload", models.JSONField(default=dict)),
                ("conflict_key", models.CharField(blank=True, max_length=200)),
                ("is_open", models.BooleanField(default=True)),
                ("outcome", models.CharField(choices=[("pending", "En attente"), ("accepted", "Acceptée"),
                                                      ("waiting", "En liste d'attente"), ("refused", "Refusée"),
                                                      ("cancelled", "Annulée")], default="pending", max_length=10,
                                             verbose_name="issue")),
                ("reason", models.CharField(blank=True, max_length=300, verbose_name="motif")),
                ("request", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="lines",
                                              to="changes.changerequest")),
            ],
            options={"ordering": ["request_id", "position", "id"]},
        ),
        migrations.AddConstraint(
            model_name="requestline",
            constraint=models.UniqueConstraint(condition=models.Q(("is_open", True),
                                                                  models.Q(("conflict_key", ""), _negated=True)),
                                               fields=("conflict_key",), name="one_open_line_per_key"),
        ),
    ]
