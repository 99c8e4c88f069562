"""Supporting documents through the registry: the avis d'imposition with a fiscal request, a PAI document
with a health request. Checked by content, served only to their household and to staff, kept as long
as the decision needs them, removed otherwise."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from enfance.changes import services
from enfance.changes.models import ChangeRequest
from enfance.core import attachments
from enfance.core.models import Attachment, HealthAccessLog
from tests.helpers import text
from tests.url_table import MINIMAL_PDF

TAX = {"year": "2025", "reference_income": "31234", "tax_shares": "2.5"}


def pdf(name="avis.pdf", content=MINIMAL_PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def send_tax(client, **files):
    return client.post(reverse("portal:edit_family", args=["donnees-fiscales"]), {**TAX, **files})


def staff_browser(staff):
    browser = Client()
    browser.force_login(staff)
    return browser


def test_a_fiscal_request_carries_its_avis_d_imposition_which_staff_open(alice_client, alice, staff):
    staff_client = staff_browser(staff)
    page = alice_client.get(reverse("portal:edit_family", args=["donnees-fiscales"])).content.decode()
    assert 'enctype="multipart/form-data"' in page and "Avis d&#x27;imposition" in page
    assert send_tax(alice_client, **{"piece-document": pdf()}).status_code == 302
    change = ChangeRequest.objects.get(request_type="tax")
    document = attachments.of(change).get()
    assert document.content_type == "application/pdf" and document.original_name == "avis.pdf"
    assert document.sha256 == attachments.CleanFile(MINIMAL_PDF, attachments.PDF, "x").sha256
    review = staff_client.get(reverse("backoffice:request", args=[change.pk])).content.decode()
    url = reverse("backoffice:request_attachment", args=[change.pk, document.pk])
    assert url in review
    response = staff_client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_an_approved_request_keeps_its_document_for_the_retention_period(alice_client, alice, staff, settings,
                                                                          django_capture_on_commit_callbacks):
    settings.ATTACHMENT_RETENTION_DAYS = 30
    send_tax(alice_client, **{"piece-document": pdf()})
    change = ChangeRequest.objects.get()
    services.approve(change.pk, staff=staff)
    document = attachments.of(change).get()
    assert document.purged_at is None
    assert abs(document.retain_until - (timezone.now() + datetime.timedelta(days=30))) < datetime.timedelta(minutes=1)
    name = document.file.name
    assert attachments.purge_expired() == 0  # not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments.purge_expired(now=timezone.now() + datetime.timedelta(days=31)) == 1
    document.refresh_from_db()
    assert document.purged_at is not None and not document.file.storage.exists(name)
    page = text(alice_client.get(reverse("portal:request", args=[change.pk])))
    assert "avis.pdf" in page and "fichier retiré après la décision" in page
    assert alice_client.get(reverse("portal:request_attachment", args=[change.pk, document.pk])).status_code == 404


def test_a_refused_or_cancelled_request_loses_its_files_at_once(alice_client, alice, staff,
                                                                django_capture_on_commit_callbacks):
    send_tax(alice_client, **{"piece-document": pdf()})
    refused = ChangeRequest.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.reject(refused.pk, staff=staff, reason="Avis illisible")
    document = attachments.of(refused).get()
    assert document.purged_at is not None and not document.file.storage.exists(document.file.name)
    send_tax(alice_client, **{"piece-document": pdf("autre.pdf")})
    cancelled = ChangeRequest.objects.get(status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("portal:request_cancel", args=[cancelled.pk]))
    assert attachments.of(cancelled).get().purged_at is not None


def test_a_file_that_is_not_a_document_is_refused_next_to_the_field_and_the_values_kept(alice_client, alice):
    fake = SimpleUploadedFile("avis.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    response = send_tax(alice_client, **{"piece-document": fake})
    body = text(response)
    assert response.status_code == 200
    assert "Ce fichier n'est pas lisible. Choisissez un fichier PDF, JPEG ou PNG." in body
    assert "Choisissez à nouveau le fichier" in body
    assert 'value="31234"' in body and 'value="2.5"' in body
    assert not ChangeRequest.objects.exists() and not Attachment.objects.exists()


def test_a_truncated_pdf_and_an_oversized_file_are_refused(alice_client, alice, settings):
    assert "pas lisible" in text(send_tax(alice_client, **{"piece-document": pdf(content=MINIMAL_PDF[:60])}))
    settings.ATTACHMENT_MAX_BYTES = 100
    assert "dépasse" in text(send_tax(alice_client, **{"piece-document": pdf()}))
    assert not ChangeRequest.objects.exists()


def test_an_image_is_accepted_as_a_document_without_its_metadata(alice_client, alice):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (43.0, 36.0, 0.0)}  # where the phone was
    photo = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(photo, format="JPEG", exif=exif.tobytes())
    send_tax(alice_client, **{"piece-document": SimpleUploadedFile("avis.jpg", photo.getvalue(), "image/jpeg")})
    document = attachments.of(ChangeRequest.objects.get()).get()
    assert document.content_type == "image/jpeg"
    with document.file.open("rb") as handle:
        kept = Image.open(io.BytesIO(handle.read()))
    assert kept.size == (300, 200) and not kept.getexif()


def test_a_huge_image_in_a_small_file_is_refused_before_it_is_decoded(alice_client, alice):
    bomb = io.BytesIO()
    Image.new("1", (6000, 6000)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 100_000
    response = send_tax(alice_client, **{"piece-document": SimpleUploadedFile("avis.png", bomb.getvalue(), "image/png")})
    assert "trop grande" in text(response) and not ChangeRequest.objects.exists()


def test_another_household_never_reaches_a_document(alice_client, alice, client, bob):
    send_tax(alice_client, **{"piece-document": pdf()})
    change = ChangeRequest.objects.get()
    document = attachments.of(change).get()
    client.force_login(bob)
    assert client.get(reverse("portal:request_attachment", args=[change.pk, document.pk])).status_code == 404
    # Bob's own request with Alice's document's identifier: 404 too.
    send_tax(client, **{"piece-document": pdf("bob.pdf")})
    own = ChangeRequest.objects.get(family=bob.family)
    assert client.get(reverse("portal:request_attachment", args=[own.pk, document.pk])).status_code == 404


def test_a_health_document_opened_by_staff_is_logged_as_a_health_access(alice_client, alice, staff):
    staff_client = staff_browser(staff)
    child = alice.family.children.first()
    alice_client.post(reverse("portal:edit_child", args=[child.pk, "donnees-sanitaires"]), {
        "doctor_name": "Dr Benoît", "doctor_phone": "0494000001", "allergies": "Kiwi",
        "piece-document": pdf("pai.pdf"),
    })
    change = ChangeRequest.objects.get(request_type="health")
    document = attachments.of(change).get()
    before = HealthAccessLog.objects.filter(user=staff, child=child).count()
    assert staff_client.get(reverse("backoffice:request_attachment", args=[change.pk, document.pk])).status_code == 200
    assert HealthAccessLog.objects.filter(user=staff, child=child).count() == before + 1


def test_a_form_of_a_type_approved_automatically_says_it_applies_at_once(alice_client, alice, admin_user, client):
    url = reverse("portal:edit_family", args=["donnees-fiscales"])
    assert "enregistrées dès que vous les envoyez" not in text(alice_client.get(url))
    services.set_auto_approved({"tax"}, actor=admin_user)
    assert "enregistrées dès que vous les envoyez" in text(alice_client.get(url))
