"""The e-mail telling a household that an invoice or a credit note was issued: plain text without HTML entities
(apostrophes, ampersands and brackets of the régie's and the household's names kept as typed), French dates
("1er"), the régie named as a régie, a credit note masculine, the due date of an invoice."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from enfance.billing import notices
from enfance.billing.models import Invoice, InvoiceRun, Regie
from enfance.core.models import OutgoingEmail
from tests.factories import make_household

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
D = datetime.date
HOSTILE_REGIE = "Régie de l'enfance & <loisirs>"
ENTITIES = ("&#x27;", "&#39;", "&amp;", "&lt;", "&gt;", "&quot;")


def issued_invoice(*, kind=Invoice.Kind.INVOICE, corrects=None, family=None, regie=None, run=None, number=None):
    """An issued invoice of October 2026 (or a credit note), made directly: these tests are about the notice."""
    if family is None:
        family, _login, _children = make_household("Almeida", children=1)
        family.guardians.filter(rank=1).update(last_name="D'Almeida")
    regie = regie or Regie.objects.create(name=HOSTILE_REGIE, code="ENF", address="Place de l'Église")
    run = run or InvoiceRun.objects.create(regie=regie, first_day=D(2026, 10, 1), last_day=D(2026, 10, 31),
                                           state=InvoiceRun.State.ISSUED)
    return Invoice.objects.create(
        regie=regie, family=family, run=run, kind=kind, state=Invoice.State.ISSUED, corrects=corrects,
        number=number or ("ENFAV2026000001" if corrects else "ENF2026000001"),
        issued_at=datetime.datetime(2026, 11, 3, 9, tzinfo=PARIS), first_day=D(2026, 10, 1),
        last_day=D(2026, 10, 31), total=Decimal("15.30"), previous_balance=Decimal("4.00"),
        due_on=D(2026, 12, 1) if corrects is None else None)


def emails():
    return list(OutgoingEmail.objects.filter(template="billing/email/invoice_issued.txt").order_by("pk"))


def test_the_invoice_notice_is_plain_french_text():
    invoice = issued_invoice()
    assert notices.tell_issued(invoice.run_id) == 1
    (email,) = emails()
    text = email.text_body
    for entity in ENTITIES:
        assert entity not in text and entity not in email.subject, entity
    assert email.subject == "Votre facture n° ENF2026000001"
    assert "Bonjour Claire D'Almeida," in text
    assert (f"La régie « {HOSTILE_REGIE} » a émis votre facture n° ENF2026000001 pour octobre 2026 : "
            "15,30\u00a0€, à payer avant le 1er décembre 2026.") in text
    assert "il restait à payer avant cette facture : 4,00\u00a0€" in text
    assert text.count("Vous recevez ce courriel") == 1
    # The HTML part escapes the same names once, and has one footer too.
    assert "Régie de l&#x27;enfance &amp; &lt;loisirs&gt;" in email.html_body and "<loisirs>" not in email.html_body
    assert email.html_body.count("Vous recevez ce courriel") == 1


def test_the_credit_note_notice_is_masculine_and_names_the_invoice_it_corrects():
    invoice = issued_invoice()
    note = issued_invoice(kind=Invoice.Kind.CREDIT_NOTE, corrects=invoice, family=invoice.family,
                          regie=invoice.regie, run=invoice.run)
    Invoice.objects.filter(pk=invoice.pk).update(notified_at=datetime.datetime(2026, 11, 3, 10, tzinfo=PARIS))
    assert notices.tell_issued(note.run_id) == 1
    (email,) = emails()
    text = email.text_body
    for entity in ENTITIES:
        assert entity not in text and entity not in email.subject, entity
    assert email.subject == "Un avoir émis en votre faveur : n° ENFAV2026000001"
    assert (f"La régie « {HOSTILE_REGIE} » a émis l'avoir n° ENFAV2026000001 de 15,30\u00a0€ en votre faveur : "
            "il corrige la facture n° ENF2026000001") in text
    assert "à payer avant" not in text and "émise" not in text
