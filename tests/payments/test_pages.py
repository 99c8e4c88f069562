"""The payment pages: the card button where a household sees what it owes, the result page by token, the list
of its attempts, staff's list, attempt page and reconciliation, and the régie's payment settings."""

from decimal import Decimal

import pytest
from django.urls import reverse

from enfance.billing.models import Payment
from enfance.core.models import AuditEntry
from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt, SandboxOperation
from tests.conftest import login_client
from tests.documents.test_invoice import make_invoice
from tests.payments.test_attempts import decide, url_for

pytestmark = pytest.mark.django_db


def body(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total="15.30", previous="0")


def test_the_home_statement_and_invoice_offer_to_pay_what_is_owed(alice, invoice, client):
    login_client(client, alice)
    home = body(client.get(reverse("portal:home")))
    assert "À payer" in home and "Payer 15,30\u00a0€ par carte" in home and 'alt="Carte bancaire"' in home
    statement = body(client.get(reverse("portal:statement") + f"?regie={invoice.regie_id}"))
    assert "Payer 15,30\u00a0€ par carte" in statement
    page = body(client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert "Payer cette facture par carte : 15,30\u00a0€" in page


def test_the_amount_posted_by_the_browser_is_ignored(alice, invoice, client):
    login_client(client, alice)
    response = client.post(reverse("payments:start"), {"regie": invoice.regie_id, "amount": "0.01",
                                                        "montant": "1"})
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302 and response["Location"] == attempt.bank_url
    assert attempt.amount == Decimal("15.30")
    assert SandboxOperation.objects.get().amount == Decimal("15.30")


def test_a_household_cannot_pay_abandon_or_list_another_households_attempts(alice, bob, invoice, client):
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[], url_for=url_for)
    login_client(client, bob)
    response = client.post(reverse("payments:start"), {"regie": invoice.regie_id, "invoice": invoice.pk})
    assert response.status_code == 302 and PaymentAttempt.objects.count() == 1  # refused, told why
    assert client.post(reverse("payments:abandon", args=[attempt.token])).status_code == 404
    assert client.post(reverse("payments:abandon", args=["0" * 32])).status_code == 404
    assert attempt.refdet not in body(client.get(reverse("payments:list")))
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.PENDING


def test_the_result_page_by_token_refreshes_while_pending_and_names_no_one(alice, invoice, client):
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[invoice.pk],
                             url_for=url_for)
    anonymous = body(client.get(reverse("payments:result", args=[attempt.token])))
    assert '<meta http-equiv="refresh" content="10">' in anonymous and "Paiement en cours" in anonymous
    assert alice.family.display_name not in anonymous and invoice.number in anonymous  # the refdet only
    assert "Abandonner" not in anonymous
    decide(attempt, SandboxOperation.Outcome.PAID)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(checked_at=None)
    paid = body(client.get(reverse("payments:result", args=[attempt.token])))
    assert "Paiement accepté" in paid and "http-equiv" not in paid
    assert Payment.objects.count() == 1  # the page asked the bank
    assert client.get(reverse("payments:result", args=["0" * 32])).status_code == 404


def test_under_one_euro_the_page_says_how_to_pay(alice, client):
    make_invoice(alice, total="0.60", previous="0")
    login_client(client, alice)
    page = body(client.get(reverse("portal:invoices")))
    assert "pas moins de 1,00\u00a0€" in page and "par carte" not in page.split("Où en est votre compte")[1][:600]


def test_without_online_payment_the_communes_page_replaces_the_button(alice, invoice, client):
    invoice.regie.payment_settings = {"link": "https://www.example.fr/payer"}
    invoice.regie.save(update_fields=["payment_settings"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.PAYMENT_SANDBOX", False)
        login_client(client, alice)
        page = body(client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert 'href="https://www.example.fr/payer"' in page and "Payer cette facture par carte" not in page


def test_staff_see_every_attempt_its_exchanges_and_reconcile_by_hand(alice, invoice, staff, client):
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[], url_for=url_for)
    login_client(client, staff)
    listing = body(client.get(reverse("backoffice:online_payments") + "?etat=open"))
    assert alice.family.display_name in listing and "15,30" in listing
    page = body(client.get(reverse("backoffice:online_payment", args=[attempt.pk])))
    assert attempt.reference in page and "Ouverture à la banque" in page
    response = client.post(reverse("backoffice:online_payment_reconcile", args=[attempt.pk]),
                           {"decision": "close", "note": ""})
    attempt.refresh_from_db()
    assert response.status_code == 200 and attempt.is_open  # a reason is required, said next to its field
    assert "Indiquez le motif de votre décision" in body(response)
    client.post(reverse("backoffice:online_payment_reconcile", args=[attempt.pk]),
                {"decision": "close", "note": "La famille a payé par chèque"})
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.EXPIRED
    assert AuditEntry.objects.filter(action="payment_attempt_close", actor=staff).exists()


def test_staff_set_a_regies_payfip_client_number_checked_next_to_the_field(invoice, admin_user, client):
    login_client(client, admin_user)
    url = reverse("backoffice:regie_edit", args=[invoice.regie_id])
    data = {"name": invoice.regie.name, "code": invoice.regie.code, "address": "Place", "hours": "Lundi",
            "payment_days": 30, "pay_provider": "payfip", "pay_numcli": "12A", "pay_saisie": "T", "pay_link": ""}
    page = body(client.post(url, data))
    assert "Le numéro client PayFiP a 6 chiffres." in page and 'value="12A"' in page
    response = client.post(url, {**data, "pay_numcli": "654321", "pay_saisie": "W"})
    assert response.status_code == 302
    invoice.regie.refresh_from_db()
    assert invoice.regie.payment_settings == {"provider": "payfip", "numcli": "654321", "saisie": "W"}


def test_a_card_payment_shows_at_once_in_the_statement_and_the_households_record(alice, invoice, staff, client):
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[], url_for=url_for)
    decide(attempt, SandboxOperation.Outcome.PAID)
    client.get(reverse("payments:back", args=[attempt.token]))  # the family back from the bank
    login_client(client, alice)
    statement = body(client.get(reverse("portal:statement") + f"?regie={invoice.regie_id}"))
    assert "Règlement par carte bancaire" in statement and "votre compte est à jour" in statement
    login_client(client, staff)
    record = body(client.get(reverse("backoffice:family", args=[alice.family.pk])))
    assert "Carte bancaire en ligne" in record and attempt.refdet in record and "15,30" in record
