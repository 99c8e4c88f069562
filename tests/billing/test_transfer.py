"""Paying by bank transfer: the régie's IBAN, checked on its form, printed on its invoices (page and PDF) with the
number to give as reference; none offered without one. The card payment on the portal is said on the PDF too."""

from decimal import Decimal

import pytest
from django.urls import reverse

from enfance.billing.models import Regie
from enfance.core.models import AuditEntry
from enfance.documents import invoice as invoice_pdf
from tests.backoffice.conftest import client_for
from tests.backoffice.test_billing_runs import error_of, text
from tests.documents.pdf import text as pdf_text
from tests.documents.test_invoice import make_invoice

pytestmark = pytest.mark.django_db
TREASURY_IBAN = "FR7610071830000000100000069"  # bank code 10071: the Treasury, BIC TRPUFRP1XXX


def _posted(regie, **fields):
    return {"name": regie.name, "code": regie.code, "address": regie.address, "hours": regie.hours,
            "payment_days": str(regie.payment_days), "pay_provider": "", **fields}


@pytest.fixture
def regie(alice):
    return make_invoice(alice).regie


def test_the_regies_iban_is_checked_next_to_the_field_and_its_bic_found(regie, admin_user):
    client = client_for(admin_user)
    url = reverse("backoffice:regie_edit", args=[regie.pk])
    response = client.post(url, _posted(regie, transfer_iban="FR76 1007 1830 0000 0010 0000 068"))
    assert "IBAN n'est pas valide" in error_of(response, "id_transfer_iban")
    response = client.post(url, _posted(regie, transfer_iban="", transfer_bic="TRPUFRP1"))
    assert "Saisissez l'IBAN du compte de ce BIC" in error_of(response, "id_transfer_iban")
    response = client.post(url, _posted(regie, transfer_iban=TREASURY_IBAN, transfer_bic="XX1"))
    assert "Ce BIC n'est pas valide" in error_of(response, "id_transfer_bic")
    assert Regie.objects.get(pk=regie.pk).transfer_iban == ""  # nothing saved while a field is wrong
    # Typed with spaces, in lower case; the BIC left empty is the bank's.
    response = client.post(url, _posted(regie, transfer_iban="fr76 1007 1830 0000 0010 0000 069"))
    assert response.status_code == 302, text(response)[:2000]
    regie.refresh_from_db()
    assert (regie.transfer_iban, regie.transfer_bic) == (TREASURY_IBAN, "TRPUFRP1XXX")
    entry = AuditEntry.objects.filter(object_type="regie").latest("pk")
    assert entry.changes["IBAN du compte de la régie"] == ["", TREASURY_IBAN]


def test_the_invoice_page_and_pdf_offer_the_transfer_with_the_invoice_number(alice):
    invoice = make_invoice(alice, total="15.30", previous="0.00")
    client = client_for(alice)
    page = text(client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert "par virement" not in page and "par virement" not in pdf_text(invoice_pdf.render(invoice))
    Regie.objects.filter(pk=invoice.regie_id).update(transfer_iban=TREASURY_IBAN, transfer_bic="TRPUFRP1XXX")
    invoice.regie.refresh_from_db()
    wanted = ("par virement au compte de la régie (IBAN FR76 1007 1830 0000 0010 0000 069, BIC TRPUFRP1XXX), en "
              "indiquant en référence le numéro de la facture (TEST2026000042)")
    assert wanted in " ".join(text(client.get(reverse("portal:invoice", args=[invoice.pk]))).split())
    assert wanted in " ".join(pdf_text(invoice_pdf.render(invoice)).split())


def test_the_pdf_names_the_card_payment_on_the_portal_only_when_the_regie_takes_it(alice, settings):
    invoice = make_invoice(alice, total=str(Decimal("15.30")), previous="0.00")
    body = " ".join(pdf_text(invoice_pdf.render(invoice)).split())
    where = settings.SITE_URL.rstrip("/") + reverse("portal:invoices")
    assert f"par carte bancaire, en ligne, sur le Portail Famille ({where}), rubrique « Mes factures »" in body
    settings.PAYMENT_SANDBOX = False  # and no bank set for the régie: no card payment
    assert "par carte bancaire" not in pdf_text(invoice_pdf.render(invoice))
