import re

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations, models


class PostgresOnlyUnaccent(UnaccentExtension):
    """The `unaccent` extension on PostgreSQL; SQLite gets a Python function per connection (enfance.core.db)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def start_past_existing_references(apps, schema_editor):
    Family = apps.get_model("families", "Family")
    ReferenceCounter = apps.get_model("families", "ReferenceCounter")
    numbers = [int(ref[1:]) for ref in Family.objects.filter(reference__startswith="F").values_list("reference", flat=True)
               if re.fullmatch(r"F[0-9]{1,9}", ref)]
    ReferenceCounter.objects.update_or_create(prefix="F", defaults={"last_number": max(numbers, default=0)})


class Migration(migrations.Migration):

    dependencies = [
        ('families', '0001_initial'),
    ]

    operations = [
        PostgresOnlyUnaccent(),
        migrations.CreateModel(
            name='ReferenceCounter',
            fields=[
                ('prefix', models.CharField(max_length=4, primary_key=True, serialize=False)),
                ('last_number', models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(start_past_existing_references, migrations.RunPython.noop),
    ]
