from django.db import migrations

TOPICS = ["Restauration scolaire", "Accueil périscolaire", "Accueil de loisirs", "Facturation",
          "Dossier de la famille", "Autre"]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("messaging", "Topic")
    for position, name in enumerate(TOPICS):
        Topic.objects.get_or_create(name=name, defaults={"position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [migrations.RunPython(add_topics, migrations.RunPython.noop)]
