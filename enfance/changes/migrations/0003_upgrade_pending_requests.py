"""Requests pending when this version is installed.

A photo waiting for its decision moves into the attachment model (same stored file). Other pending
requests kept their values as display strings ("non", "01/02/2020", a masked IBAN), which the new code
cannot compare with the record's raw values: they are cancelled with a reason the household reads in
"Mes demandes", rather than risk writing old values back. Pending requests of archived households are
cancelled too (archiving now does it). Then the request's own file column goes.
"""

import hashlib

from django.db import migrations
from django.utils import timezone

REDO = "Demande annulée lors de la mise à jour du Portail Famille : merci de la refaire."
ARCHIVED = "Foyer archivé"


def upgrade(apps, schema_editor):
    ChangeRequest = apps.get_model("changes", "ChangeRequest")
    Attachment = apps.get_model("core", "Attachment")
    now = timezone.now()
    for change in ChangeRequest.objects.exclude(file="").exclude(file__isnull=True):
        if change.status == "pending" and change.family.archived_at is None:
            try:
                with change.file.open("rb") as handle:
                    content = handle.read()
            except FileNotFoundError:
                content = None
            if content is not None:
                Attachment.objects.create(
                    owner_type="changes.changerequest", owner_id=change.pk, role="photo", file=change.file.name,
                    original_name="photo.jpg", content_type="image/jpeg", size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(), uploaded_by_id=change.created_by_id)
                change.before = {"photo": change.before.get("photo", "")}
                change.save(update_fields=["before"])
                continue
        change.file.storage.delete(change.file.name)
    for change in ChangeRequest.objects.filter(status="pending").select_related("family"):
        if change.family.archived_at is not None:
            reason = ARCHIVED
        elif change.kind == "file" and Attachment.objects.filter(owner_id=change.pk,
                                                                 owner_type="changes.changerequest").exists():
            continue
        else:
            reason = REDO
        ChangeRequest.objects.filter(pk=change.pk).update(status="cancelled", decided_at=now, answer=reason,
                                                          conflict_key="")


class Migration(migrations.Migration):

    dependencies = [
        ("changes", "0002_request_types"),
        ("core", "0004_audit_labels_attachments"),
    ]

    operations = [
        migrations.RunPython(upgrade, migrations.RunPython.noop),
        migrations.RemoveField(model_name="changerequest", name="file"),
    ]
