"""The invoice and credit note PDFs: what they say, PDF/A, archived once at the issue and never made again, served
to the household's own invoices only and to staff."""

import datetime
import html
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import DatabaseError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from enfance.billing import runs, tasks
from enfance.billing.models import Invoice, InvoiceLine, InvoiceRun, Quotient, Regie
from enfance.billing.money import euros
from enfance.documents import invoice as invoice_pdf
from enfance.documents import renderer
from enfance.families.access import children_of
from tests.activities.test_bookings import centre, household
from tests.billing.helpers import regie_for, tariff
from tests.billing.test_runs import AFTER_DECEMBER, WEDNESDAYS, booked, run_month
from tests.conftest import login_client

from .pdf import text, xmp

pytestmark = pytest.mark.django_db


def _e(amount):
    """euros() as the extracted text reads it (no-break spaces folded)."""
    return euros(Decimal(amount)).replace("\u00a0", " ").replace("\u202f", " ")


def _folded(body):
    return body.replace("\u202f", " ")


def make_invoice(login, *, number="TEST2026000042", kind=Invoice.Kind.INVOICE, corrects=None, total="15.30",
                 previous="21.00"):
    family = login.family
    regie, _ = Regie.objects.get_or_create(code="TEST", defaults={
        "name": "Régie enfance de Tourrettes", "address": "1 place de la Mairie, 83440 Tourrettes",
        "hours": "du lundi au vendredi, 8 h 30 – 12 h"})
    invoice = Invoice.objects.create(
        regie=regie, family=family, kind=kind, state=Invoice.State.ISSUED, number=number, corrects=corrects,
        issued_at=timezone.make_aware(datetime.datetime(2026, 12, 2, 9)), first_day=datetime.date(2026, 11, 1),
        last_day=datetime.date(2026, 11, 30), total=Decimal(total), previous_balance=Decimal(previous),
        due_on=None if corrects else datetime.date(2027, 1, 1),
        billed_to={"reference": family.reference, "name": family.display_name, "address": family.full_address})
    child = children_of(family).order_by("pk").first()
    from enfance.activities.catalogue import CANTEEN_RULE
    from enfance.activities.models import Activity, Unit

    activity, _ = Activity.objects.get_or_create(name="Restauration scolaire", defaults={
        "kind": Activity.Kind.CANTEEN, "booking_rule": CANTEEN_RULE, "cancellation_rule": CANTEEN_RULE})
    unit, _ = Unit.objects.get_or_create(activity=activity, name="Repas")
    InvoiceLine.objects.create(
        invoice=invoice, child=child, unit=unit, kind=InvoiceLine.Kind.BOOKED,
        label=f"{child.first_name} – Restauration scolaire – Repas",
        days=["2026-11-02", "2026-11-03", "2026-11-04"], quantity=3,
        unit_price=Decimal("5.10"), amount=Decimal(total), rule="Tranche 2 (QF 620)")
    return invoice


def test_the_invoice_says_its_number_household_lines_balance_and_totals(alice):
    invoice = make_invoice(alice)
    body = _folded(text(invoice_pdf.render(invoice)))
    child = children_of(alice.family).order_by("pk").first()
    for expected in ("Avis des sommes à payer", "Facture n° TEST2026000042", "Mairie de Tourrettes",
                     "Régie enfance de Tourrettes", "1 place de la Mairie", "du lundi au vendredi",
                     alice.family.display_name, alice.family.reference, "novembre 2026", "2 décembre 2026",
                     f"{child.first_name} – Restauration scolaire – Repas", "novembre 2026 : du 2 au 4",
                     f"3 × {_e('5.10')}", "Tranche 2 (QF 620)", _e("15.30"),
                     "pour information, non compris dans le montant à payer", _e("21.00"),
                     "solde antérieur compris", _e("36.30"), "1er janvier 2027", "par chèque",
                     "article L1617-5 du code général des collectivités territoriales",
                     "devant le juge de l'exécution", "titre de recettes exécutoire"):
        assert expected in body, expected


def test_a_credit_note_names_the_invoice_it_corrects(alice):
    corrected = make_invoice(alice)
    note = make_invoice(alice, number="TESTAV2026000003", kind=Invoice.Kind.CREDIT_NOTE, corrects=corrected,
                        total="5.10", previous="36.30")
    body = _folded(text(invoice_pdf.render(note)))
    for expected in ("Avoir n° TESTAV2026000003", "la facture n° TEST2026000042 du 2 décembre 2026",
                     "en votre faveur", _e("31.20"), "Vous n'avez rien à payer"):
        assert expected in body, expected
    assert "Comment payer" not in body and "titre de recettes exécutoire" not in body


def test_the_legal_mentions_are_the_portal_pages(alice, client):
    invoice = make_invoice(alice)
    login_client(client, alice)
    page = html.unescape(client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode())
    for item in invoice_pdf.build(invoice)["legal"]["items"]:
        for paragraph in item["text"][:1] if item["label"] == "Émetteur" else item["text"]:
            assert paragraph in page, paragraph


def test_archived_once_and_never_made_again(alice, monkeypatch):
    invoice = make_invoice(alice)
    assert invoice_pdf.archive([invoice.pk]) == 1
    invoice.refresh_from_db()
    assert invoice.pdf.name == "invoices/2026/TEST2026000042.pdf"
    stored = invoice.pdf.open("rb").read()
    metadata = xmp(stored)
    assert "<pdfaid:part>2</pdfaid:part>" in metadata and "<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    # The templates change (or the régie moves): the archived PDF stays byte for byte the same.
    monkeypatch.setattr(invoice_pdf, "build", lambda invoice: pytest.fail("an archived PDF is made again"))
    Regie.objects.filter(pk=invoice.regie_id).update(address="Nouvelle adresse")
    assert invoice_pdf.archive([invoice.pk]) == 0
    assert invoice_pdf.stored_pdf(invoice).pdf == stored
    invoice.refresh_from_db()
    assert invoice.pdf.name == "invoices/2026/TEST2026000042.pdf"


def test_a_draft_is_never_archived(alice):
    invoice = make_invoice(alice)
    Invoice.objects.filter(pk=invoice.pk).update(state=Invoice.State.DISCARDED, number=None)
    assert invoice_pdf.archive([invoice.pk]) == 0


def test_one_failure_is_logged_and_skipped(alice, monkeypatch, caplog):
    first = make_invoice(alice)
    second = make_invoice(alice, number="TEST2026000043")
    real = invoice_pdf.build

    def failing(invoice, *args):
        if invoice.pk == first.pk:
            raise RuntimeError("boom")
        return real(invoice, *args)

    monkeypatch.setattr(invoice_pdf, "build", failing)
    assert invoice_pdf.archive([first.pk, second.pk], batch=1) == 1
    assert "Archiving the PDF of invoice" in caplog.text
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.pdf and second.pdf


def test_a_compile_failing_on_the_pool_is_logged_and_skipped(alice, monkeypatch, caplog):
    first = make_invoice(alice)
    second = make_invoice(alice, number="TEST2026000043")
    real = renderer._compile

    def failing(template, inputs, pdf_a):
        if b"TEST2026000042" in inputs.data:
            raise RuntimeError("boom")
        return real(template, inputs, pdf_a)

    monkeypatch.setattr(renderer, "_compile", failing)
    assert invoice_pdf.archive([first.pk, second.pk]) == 1
    assert f"Archiving the PDF of invoice {first.pk} failed" in caplog.text
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.pdf and second.pdf
    assert "TEST2026000043" in text(second.pdf.open("rb").read())


def test_a_batch_compiled_on_the_pool_stores_each_invoice_its_own_pdf(alice, bob):
    invoices = [make_invoice(alice if n % 2 else bob, number=f"TEST2026{n:06d}") for n in range(1, 9)]
    assert invoice_pdf.archive([invoice.pk for invoice in invoices], batch=5) == 8
    for invoice in invoices:
        invoice.refresh_from_db()
        body = text(invoice.pdf.open("rb").read())
        assert invoice.number in body
        assert invoice.billed_to["name"] in body


def test_a_household_downloads_its_own_invoice_only(client, alice, bob):
    invoice = make_invoice(alice)
    theirs = make_invoice(bob, number="TEST2026000099")
    login_client(client, alice)
    page = client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert reverse("portal:invoice_pdf", args=[invoice.pk]) in page
    response = client.get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'inline; filename="facture-test2026000042.pdf"'
    assert "TEST2026000042" in text(response.content)
    invoice.refresh_from_db()
    assert invoice.pdf  # made and stored on the first request
    assert response.content == invoice.pdf.open("rb").read()
    assert client.get(reverse("portal:invoice_pdf", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.pdf
    Invoice.objects.filter(pk=invoice.pk).update(state=Invoice.State.DISCARDED, number=None)
    assert client.get(reverse("portal:invoice_pdf", args=[invoice.pk])).status_code == 404


def test_staff_download_the_archived_copy_from_the_invoice_page(staff_client, alice):
    invoice = make_invoice(alice)
    page = staff_client.get(reverse("backoffice:invoice", args=[invoice.pk])).content.decode()
    assert reverse("backoffice:invoice_pdf", args=[invoice.pk]) in page
    response = staff_client.get(reverse("backoffice:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert "TEST2026000042" in text(response.content)


@pytest.fixture
def issued_run():
    whole, _half, _meal = centre(capacity=20)
    regie = regie_for(whole.activity)
    tariff(whole, [(500, "3.20"), (1000, "5.10"), (None, "7.00")], outside="9.00")
    families = []
    for _ in range(3):
        family, (child,) = household()
        Quotient.objects.create(family=family, value=620, valid_from=datetime.date(2026, 9, 1), source="caf")
        for day in WEDNESDAYS:
            booked(family, child, whole, day)
        families.append(family)
    return run_month(regie), families


def test_after_issue_archives_every_issued_invoice(issued_run):
    run, families = issued_run
    assert not Invoice.objects.filter(run=run).exclude(pdf="").exists()
    runs.after_issue(run.pk)
    invoices = list(Invoice.objects.filter(run=run, state=Invoice.State.ISSUED))
    assert len(invoices) == 3
    for invoice in invoices:
        body = text(invoice.pdf.open("rb").read())
        assert invoice.number in body and _e("15.30") in _folded(body)


def test_the_sweep_archives_what_after_issue_missed(issued_run, monkeypatch):
    run, _families = issued_run
    Invoice.objects.filter(run=run).update(notified_at=AFTER_DECEMBER)  # all told, no PDF yet
    later = InvoiceRun.objects.get(pk=run.pk).issued_at + tasks.STALE + datetime.timedelta(minutes=1)
    assert tasks.resume_stalled(now=later) == 1  # the immediate backend runs after_issue now
    assert not Invoice.objects.filter(run=run, pdf="").exists()
    assert tasks.resume_stalled(now=later) == 0


def test_a_credit_on_the_account_is_deducted_from_what_the_pdf_asks_to_pay(alice):
    invoice = make_invoice(alice, total="15.30", previous="-4.15")
    Invoice.objects.filter(pk=invoice.pk).update(credit_applied=Decimal("4.15"))  # what the issue gave it
    invoice.refresh_from_db()
    body = _folded(text(invoice_pdf.render(invoice)))
    assert f"Payez {_e('11.15')}" in body and f"Le crédit de votre compte ({_e('4.15')}) est déduit" in body
    assert "CESU, qui ne paient" not in body


def _files(year="2026"):
    storage = Invoice._meta.get_field("pdf").storage
    return sorted(storage.listdir(f"invoices/{year}")[1]) if storage.exists(f"invoices/{year}") else []


def test_a_pdf_another_worker_recorded_meanwhile_is_kept_and_ours_deleted(alice, bob, monkeypatch):
    mine, theirs = make_invoice(alice, number="TEST2026000001"), make_invoice(bob, number="TEST2026000002")
    storage = Invoice._meta.get_field("pdf").storage
    storage.exists("")  # a lazy storage: made now, its class patched below
    real = type(storage._wrapped).save

    def save_while_another_records(self, name, content, **kwargs):
        if "TEST2026000002" in name and not Invoice.objects.get(pk=theirs.pk).pdf:
            # The other worker, between our compile and our UPDATE: its file and its row first.
            Invoice.objects.filter(pk=theirs.pk).update(pdf=real(self, name, ContentFile(b"%PDF-other")))
        return real(self, name, content, **kwargs)

    monkeypatch.setattr(type(storage._wrapped), "save", save_while_another_records)
    assert invoice_pdf.archive([mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.pdf.open("rb").read() == b"%PDF-other"
    assert _files() == ["TEST2026000001.pdf", "TEST2026000002.pdf"]  # our copy of theirs is gone


def test_a_failed_update_leaves_no_file_behind(alice, bob, monkeypatch, caplog):
    invoices = [make_invoice(alice, number="TEST2026000001"), make_invoice(bob, number="TEST2026000002")]

    def failing(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(QuerySet, "update", failing)
    assert invoice_pdf.archive([invoice.pk for invoice in invoices]) == 0
    assert "Recording the PDFs of invoices" in caplog.text
    assert _files() == []
    monkeypatch.undo()
    assert invoice_pdf.archive([invoice.pk for invoice in invoices]) == 2  # the sweep's next try

