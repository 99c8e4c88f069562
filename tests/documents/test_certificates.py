"""The household's money documents: the statement of account as a PDF (the screen's balance), the payment
certificate of a year (payments net of reversals) and the childcare certificate for the tax credit (care only:
no meal, no surcharge; children under 6 on 1 January only; CESU shown apart); another household's: 404."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from enfance.activities.catalogue import CANTEEN_RULE
from enfance.activities.models import Activity, Unit
from enfance.billing import payments
from enfance.billing.models import Invoice, InvoiceLine, Payment
from enfance.documents import certificates
from enfance.families.access import children_of
from tests.billing.helpers import regie_for
from tests.conftest import login_client

from .pdf import text

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
D = datetime.date
K = InvoiceLine.Kind


def _unit(name):
    activity = Activity.objects.create(name=f"Accueil {name}", kind=Activity.Kind.CANTEEN, booking_rule=CANTEEN_RULE,
                                       cancellation_rule=CANTEEN_RULE)
    return Unit.objects.create(activity=activity, name=name)


def _invoice(regie, family, number, issued, lines):
    invoice = Invoice.objects.create(
        regie=regie, family=family, number=number, state=Invoice.State.ISSUED,
        issued_at=datetime.datetime(*issued, 9, 0, tzinfo=PARIS), first_day=D(*issued[:2], 1), last_day=D(*issued),
        total=sum((Decimal(amount) for *_rest, amount in lines), Decimal(0)), due_on=D(*issued) + datetime.timedelta(30))
    for child, unit, kind, cesu, amount in lines:
        InvoiceLine.objects.create(invoice=invoice, child=child, unit=unit, kind=kind, cesu=cesu, label=unit.name,
                                   days=[], quantity=1, unit_price=Decimal(amount), amount=Decimal(amount), rule="-")
    return invoice


@pytest.fixture
def world(alice):
    """Alice's two children: Lou, 4 on 1 January 2026, and Tom, 6 that very day (too old for the tax credit)."""
    family = alice.family
    lou, tom = children_of(family).order_by("pk")
    lou.first_name, lou.last_name, lou.birth_date = "Lou", "Petitjean", D(2021, 3, 10)
    tom.first_name, tom.last_name, tom.birth_date = "Tom", "Petitjean", D(2020, 1, 1)
    lou.save()
    tom.save()
    care, meal = _unit("Journée"), _unit("Repas")
    regie = regie_for(care.activity, meal.activity, code="ENF", name="Régie enfance jeunesse")
    march = _invoice(regie, family, "ENF2026000001", (2026, 3, 31), [
        (lou, care, K.BOOKED, True, "50.00"), (lou, meal, K.BOOKED, False, "20.00"),
        (lou, care, K.LATE, True, "5.00"), (tom, care, K.BOOKED, True, "25.00")])
    payments.record(regie=regie, family=family, means=Payment.Means.CESU, amount=Decimal("30.00"),
                    received_on=D(2026, 4, 10), reference="CESU 123")
    payments.record(regie=regie, family=family, means=Payment.Means.CHEQUE, amount=Decimal("70.00"),
                    received_on=D(2026, 4, 15), reference="Chèque 4567")
    _invoice(regie, family, "ENF2026000002", (2026, 6, 30), [(lou, care, K.ABSENCE, True, "40.00")])
    cash = payments.record(regie=regie, family=family, means=Payment.Means.CASH, amount=Decimal("40.00"),
                           received_on=D(2026, 7, 5))
    payments.reverse(cash, reason="Billet refusé")
    return regie, family, lou, tom, march


def _pdf(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    return text(response.content)


def test_the_payment_certificate_lists_the_years_payments_net_of_reversals(world, alice_client):
    regie, family, *_rest = world
    body = _pdf(alice_client.get(reverse("portal:payment_certificate", args=[2026]) + f"?regie={regie.pk}"))
    for expected in ("Attestation de paiement", "Année 2026", family.reference, family.display_name,
                     "Régie enfance jeunesse", "Place de la Mairie", "10/04/2026", "CESU 123", "30,00 €",
                     "Chèque 4567", "70,00 €", "Espèces", "40,00 €", "-40,00 €", "Paiement annulé",
                     "Total payé en 2026 : 100,00 €"):
        assert expected in body, expected
    assert "Billet refusé" not in body  # staff's reason for the reversal is theirs
    assert certificates.build_payment(regie, family, 2025)["total_amount"] == 0


def test_the_tax_certificate_counts_care_only_for_children_under_six(world, alice_client):
    regie, family, lou, tom, _march = world
    # March: care 75 (Lou 50, Tom 25), meal 20 and a late surcharge 5 excluded; paid in full by 30 CESU and 70 by
    # cheque: Lou's care paid is 50, 20 of it CESU. June's 40 was paid in cash, then the payment reversed: nothing.
    assert certificates.care_paid(regie, family, 2026) == {lou.pk: (Decimal("50.00"), Decimal("20.00")),
                                                          tom.pk: (Decimal("25.00"), Decimal("10.00"))}
    response = alice_client.get(reverse("portal:tax_certificate", args=[2026]) + f"?regie={regie.pk}")
    body = _pdf(response)
    for expected in ("Attestation de frais de garde", "200 quater B", family.reference, "Régie enfance jeunesse",
                     "Lou Petitjean", "10/03/2021", "50,00 €", "20,00 €", "30,00 €", "CESU préfinancés",
                     "Frais de garde payés en 2026 : 50,00 €, dont 20,00 € en CESU préfinancés"):
        assert expected in body, expected
    assert "Tom" not in body  # 6 on 1 January 2026
    assert "70,00" not in body and "55,00" not in body  # neither the meal nor the surcharge
    assert response["Content-Disposition"].startswith('inline; filename="attestation-frais-de-garde-2026-enf-')
    # A year later Tom is 7 and Lou 5: nothing paid in 2027.
    assert "Lou Petitjean" not in text(certificates.render_tax(regie, family, 2027).pdf)


def test_a_partly_paid_invoice_counts_its_care_share(world):
    regie, family, lou, _tom, _march = world
    august = _invoice(regie, family, "ENF2026000003", (2026, 8, 31), [
        (lou, Unit.objects.get(name="Journée"), K.BOOKED, True, "30.00"),
        (lou, Unit.objects.get(name="Repas"), K.BOOKED, False, "10.00")])
    payments.record(regie=regie, family=family, means=Payment.Means.TRANSFER, amount=Decimal("20.00"),
                    received_on=D(2026, 9, 2), invoice_ids=[august.pk])
    # 20 of 40 paid, three quarters care: 15 more for Lou.
    assert certificates.care_paid(regie, family, 2026)[lou.pk] == (Decimal("65.00"), Decimal("20.00"))


def test_the_statement_pdf_balance_is_the_screens(world, alice_client):
    regie, family, *_rest = world
    screen = alice_client.get(reverse("portal:statement") + f"?regie={regie.pk}")
    assert screen.context["balance"] == Decimal("40.00")
    assert f'href="{reverse("portal:statement_pdf")}?regie={regie.pk}"' in screen.content.decode()
    body = _pdf(alice_client.get(reverse("portal:statement_pdf") + f"?regie={regie.pk}"))
    for expected in ("Relevé de compte", family.reference, "Facture n° ENF2026000001", "Facture n° ENF2026000002",
                     "Règlement en CESU (CESU 123)", "Paiement annulé le", "Solde : 40,00 € à payer",
                     "vous devez 40,00 €"):
        assert expected in body, expected
    # A bad ?regie is the first régie, never an error.
    for bad in ("abc", "999999", "-1", "1" * 40, ""):
        assert _pdf(alice_client.get(reverse("portal:statement_pdf") + f"?regie={bad}"))


def test_the_certificates_page_lists_the_years_with_payments(world, alice_client):
    regie, *_rest = world
    response = alice_client.get(reverse("portal:certificates"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mes attestations" in page and "Régie enfance jeunesse" in page
    assert f'{reverse("portal:payment_certificate", args=[2026])}?regie={regie.pk}' in page
    assert f'{reverse("portal:tax_certificate", args=[2026])}?regie={regie.pk}' in page
    assert reverse("portal:certificates") in alice_client.get(reverse("portal:invoices")).content.decode()


def test_years_outside_the_range_answer_404(world, alice_client):
    regie, *_rest = world
    for name in ("portal:payment_certificate", "portal:tax_certificate"):
        for year in (1999, 2101, 0, 99999999):
            assert alice_client.get(reverse(name, args=[year]) + f"?regie={regie.pk}").status_code == 404


def test_another_household_gets_404_and_never_sees_these_figures(world, client, bob):
    regie, family, *_rest = world
    login_client(client, bob)
    for name, args in (("portal:statement_pdf", []), ("portal:payment_certificate", [2026]),
                       ("portal:tax_certificate", [2026])):
        assert client.get(reverse(name, args=args) + f"?regie={regie.pk}").status_code == 404, name
    page = client.get(reverse("portal:certificates")).content.decode()
    assert "Régie enfance jeunesse" not in page and "Aucun règlement" in page
