"""The card payment as a family meets it on the portal (the UX review on a phone):

1. "Ne pas payer maintenant" on the bank form's page abandons the attempt (a POST, the household's own only) and
   lands on a page that says nothing was charged and offers to pay again;
2. while an attempt is in progress for a régie (exactly when the pay button would show it again: attempts.start's
   `reused`), the home page, "Mes factures" and the statement link to it instead of offering to pay, in one query
   for all the régies;
3. the pending result page warns not to pay twice, and its links are buttons (the 44 px targets are measured in
   the browser: tests/e2e/test_payment_ux.py);
4. PayFiP's origin is allowed as a form's target (CSP form-action) only on the pages holding a pay button.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from enfance.billing import payments
from enfance.billing.models import Invoice, Regie
from enfance.core.middleware import BANK_REDIRECT_FORM, SecurityHeadersMiddleware
from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt, PaymentEvent
from tests.conftest import login_client
from tests.documents.test_invoice import make_invoice
from tests.payments.test_attempts import url_for
from tests.payments.test_signed_banks import systempay

pytestmark = pytest.mark.django_db
State = PaymentAttempt.State
PAYFIP = "https://www.payfip.gouv.fr"
PAY_1530 = "Payer 15,30\u00a0€ par carte"
IN_PROGRESS = "Un paiement est en cours pour cette régie :"
NOTHING_CHARGED = "Aucun montant n'a été débité"
NOT_TWICE = "ne payez pas une seconde fois"


def body(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def form_action(response):
    return re.search(r"form-action ([^;]*);", response["Content-Security-Policy"]).group(1)


def start(login, regie, invoice_ids=()):
    return attempts.start(regie=regie, family=login.family, user=login, invoice_ids=list(invoice_ids),
                          url_for=url_for)


def owe(login, code, total, number):
    """An issued invoice of `total` from the régie `code` (made if needed) to the household."""
    regie, _ = Regie.objects.get_or_create(code=code, defaults={"name": f"Régie {code}"})
    family = login.family
    return Invoice.objects.create(
        regie=regie, family=family, kind=Invoice.Kind.INVOICE, state=Invoice.State.ISSUED, number=number,
        issued_at=timezone.now(), first_day=datetime.date(2026, 11, 1), last_day=datetime.date(2026, 11, 30),
        total=Decimal(total), previous_balance=Decimal("0"), due_on=datetime.date(2027, 1, 1),
        billed_to={"reference": family.reference, "name": family.display_name, "address": ""})


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total="15.30", previous="0")


# --- 1. "Ne pas payer maintenant" --------------------------------------------------------------------------------

def test_not_paying_now_on_the_bank_form_page_abandons_and_says_nothing_was_charged(alice, invoice, client):
    systempay(invoice.regie)
    login_client(client, alice)
    response = client.post(reverse("payments:start"), {"regie": invoice.regie_id})
    attempt = PaymentAttempt.objects.get()
    page = client.get(response["Location"])
    html = body(page)
    abandon = reverse("payments:abandon", args=[attempt.token])
    # A form of its own, posted to our abandon view (never a link to the result page, which kept refreshing).
    form = re.search(rf'<form method="post" action="{abandon}">(.*?)</form>', html, re.S)
    assert form and "Ne pas payer maintenant" in form.group(1) and "csrfmiddlewaretoken" in form.group(1)
    assert f'href="{reverse("payments:result", args=[attempt.token])}"' not in html
    # The page's own policy: its bank's origin for the signed form, and ours for the abandon form; no other.
    assert form_action(page) == "'self' https://paiement.systempay.fr"

    landed = client.post(abandon, follow=True)
    assert landed.redirect_chain == [(reverse("payments:result", args=[attempt.token]), 302)]
    result = body(landed)
    attempt.refresh_from_db()
    assert attempt.state == State.CANCELLED
    assert PaymentEvent.objects.filter(attempt=attempt, source=PaymentEvent.Source.FAMILY, changed=True).exists()
    # SystemPay cannot be asked: the page says what is known (no payment confirmed), not that nothing was taken
    assert "Paiement abandonné" in result and "La banque ne nous a confirmé aucun paiement." in result
    assert NOTHING_CHARGED not in result
    assert 'http-equiv="refresh"' not in result and "payments/refresh.js" not in result  # no longer refreshing
    assert PAY_1530 in result  # pay again, for the same balance
    assert f'action="{reverse("payments:start")}"' in result


def test_only_the_household_itself_abandons_its_attempt(alice, bob, invoice, client):
    attempt = start(alice, invoice.regie)
    abandon = reverse("payments:abandon", args=[attempt.token])
    assert client.post(abandon).status_code == 302  # anonymous: to the login page
    assert reverse("accounts:login") in client.post(abandon)["Location"]
    login_client(client, bob)
    assert client.post(abandon).status_code == 404
    login_client(client, alice)
    assert client.get(abandon).status_code == 405  # never a link
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING
    assert client.post(abandon).status_code == 302
    attempt.refresh_from_db()
    assert attempt.state == State.CANCELLED


def test_paying_again_after_abandoning_an_invoices_payment_pays_that_invoice(alice, invoice, client):
    make_invoice(alice, number="TEST2026000043", total="9.00", previous="15.30")
    attempt = start(alice, invoice.regie, [invoice.pk])
    login_client(client, alice)
    result = body(client.post(reverse("payments:abandon", args=[attempt.token]), follow=True))
    assert NOTHING_CHARGED in result and PAY_1530 in result
    assert f'<input type="hidden" name="invoice" value="{invoice.pk}">' in result
    # Settled meanwhile (at the desk): nothing to pay again.
    payments.record(regie=invoice.regie, family=alice.family, means="cheque", amount="15.30",
                    received_on=timezone.localdate(), invoice_ids=[invoice.pk])
    result = body(client.get(reverse("payments:result", args=[attempt.token])))
    assert NOTHING_CHARGED in result and "par carte" not in result


# --- 2. a payment in progress instead of a second pay button -----------------------------------------------------

def in_progress_link(html, attempt):
    return f'href="{reverse("payments:result", args=[attempt.token])}"' in html and IN_PROGRESS in html


PAGES = [reverse("portal:home"), reverse("portal:invoices")]


def test_the_home_page_invoices_and_statement_show_the_payment_in_progress_instead_of_the_button(
        alice, invoice, client):
    attempt = start(alice, invoice.regie)
    login_client(client, alice)
    for url in PAGES + [reverse("portal:statement") + f"?regie={invoice.regie_id}"]:
        html = body(client.get(url))
        assert in_progress_link(html, attempt), url
        assert PAY_1530 not in html and "voir où il en est" in html, url
    # The invoice's own page too: a whole-balance payment in progress covers it (pressing its button showed it
    # again at best, and closed it under the payer's feet at worst).
    html = body(client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert in_progress_link(html, attempt) and "Payer cette facture par carte" not in html


def _older(attempt):
    PaymentAttempt.objects.filter(pk=attempt.pk).update(created_at=timezone.now() - attempts.REUSE
                                                        - datetime.timedelta(seconds=5))


def _closed(state):
    return lambda attempt: PaymentAttempt.objects.filter(pk=attempt.pk).update(state=state)


def _other_amount(attempt):
    payments.record(regie=attempt.regie, family=attempt.family, means="cheque", amount="5.00",
                    received_on=timezone.localdate())


def _kept_for_staff(attempt):
    PaymentAttempt.objects.filter(pk=attempt.pk).update(needs_review=True)


def _other_bank(attempt):
    regie = Regie.objects.get(pk=attempt.regie_id)
    regie.payment_settings = {"provider": "payfip", "numcli": "123456", "saisie": "W"}
    regie.save(update_fields=["payment_settings"])


def _nothing(attempt):
    pass


def _created(attempt):
    PaymentAttempt.objects.filter(pk=attempt.pk).update(state=State.CREATED)


@pytest.mark.parametrize("change, in_progress", [
    (_nothing, True),  # pending, at the bank
    (_created, True),  # being opened at the bank
    (_older, False),  # beyond REUSE: start opens another
    (_closed(State.CANCELLED), False),
    (_closed(State.PAID), False),
    (_closed(State.REFUSED), False),
    (_closed(State.EXPIRED), False),
    (_closed(State.ERROR), False),
    (_other_amount, False),  # what is owed changed: start supersedes it
    (_kept_for_staff, False),
    (_other_bank, False),  # started on settings that are no longer the régie's: never reused
], ids=["pending", "created", "older", "cancelled", "paid", "refused", "expired", "error", "other-amount",
        "needs-review", "other-bank"])
def test_in_progress_means_exactly_what_the_pay_button_would_show_again(alice, invoice, client, change,
                                                                        in_progress):
    attempt = start(alice, invoice.regie)
    change(attempt)
    login_client(client, alice)
    html = body(client.get(reverse("portal:home")))
    assert in_progress_link(html, attempt) is in_progress
    assert ("par carte" not in html) is in_progress
    # What the pay button does now: show that attempt again (reused) exactly when the page said it was in progress.
    again = start(alice, Regie.objects.get(pk=invoice.regie_id))
    assert again.reused is in_progress and (again.pk == attempt.pk) is in_progress


def test_an_invoices_attempt_for_the_whole_balance_is_in_progress_on_the_home_page(alice, invoice, client):
    # The invoice is all that is owed: pressing the home page's button would show that attempt again.
    attempt = start(alice, invoice.regie, [invoice.pk])
    login_client(client, alice)
    assert in_progress_link(body(client.get(reverse("portal:home"))), attempt)
    assert start(alice, invoice.regie).reused


def test_another_households_or_another_regies_attempt_is_not_this_ones(alice, bob, invoice, client):
    owe(alice, "ALSH", "20.00", "ALSH2026000001")
    owe(bob, "TEST", "15.30", "TEST2026000099")
    bobs = start(bob, invoice.regie)
    alsh = Regie.objects.get(code="ALSH")
    alices = start(alice, alsh)
    login_client(client, alice)
    html = body(client.get(reverse("portal:home")))
    assert in_progress_link(html, alices) and not in_progress_link(html, bobs)
    assert PAY_1530 in html and "Payer 20,00\u00a0€ par carte" not in html  # the TEST régie's button stays


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", PAGES)
def test_the_payments_in_progress_cost_one_query_for_every_regie(alice, bob, invoice, client, monkeypatch, url):
    # Bob owes one régie, Alice three, with a payment in progress at two of them.
    owe(bob, "TEST", "15.30", "TEST2026000099")
    for code in ("ALSH", "PERI"):
        owe(alice, code, "20.00", f"{code}2026000001")
        start(alice, Regie.objects.get(code=code))
    counts = []
    for login in (bob, alice):
        login_client(client, login)
        count_queries(client, url)  # warm the session and caches
        counts.append(count_queries(client, url))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries for one régie, {counts[1]} for three"
    # Exactly one query more than without it (the pin of tests/portal/test_billing_pages.py counts it).
    module = "enfance.portal.views" if url == reverse("portal:home") else "enfance.portal.billing_views"
    monkeypatch.setattr(f"{module}.mark_in_progress", lambda family, owed: None)
    assert count_queries(client, url) == counts[1] - 1


def test_nothing_owed_costs_no_query(alice, invoice):
    from enfance.payments.views import mark_in_progress

    regie = invoice.regie
    with CaptureQueriesContext(connection) as queries:
        mark_in_progress(alice.family, [])
        mark_in_progress(alice.family, [(regie, Decimal("0.00")), (regie, Decimal("-3.00"))])
    assert len(queries) == 0 and regie.payment_in_progress is None


# --- 3. the pending page ------------------------------------------------------------------------------------------

def test_the_pending_page_warns_not_to_pay_twice_and_its_links_are_buttons(alice, invoice, client):
    attempt = start(alice, invoice.regie)
    login_client(client, alice)
    html = body(client.get(reverse("payments:result", args=[attempt.token])))
    assert "Paiement en cours" in html and NOT_TWICE in html
    assert "le paiement sera enregistré dès que la banque l'aura confirmé" in html
    assert "payments/payments.css" in html  # the 44 px targets of the page's frame
    main = html.split('<main id="contenu"', 1)[1].split("</main>", 1)[0]
    links = re.findall(r"<a\b[^>]*>", main)
    assert links and all('class="button' in link for link in links), links
    assert "link-button" not in main


# --- 4. PayFiP's origin in form-action: only where a pay button is ----------------------------------------------

def test_payfips_origin_is_allowed_only_on_the_pages_holding_a_pay_button(alice, invoice, client):
    login_client(client, alice)
    for name in ("portal:information", "portal:requests", "portal:preferences", "payments:list"):
        response = client.get(reverse(name))
        assert response.status_code == 200 and form_action(response) == "'self'", name
    assert form_action(client.get(reverse("accounts:login"))) == "'self'"
    for url in (reverse("portal:home"), reverse("portal:invoices"),
                reverse("portal:statement") + f"?regie={invoice.regie_id}",
                reverse("portal:invoice", args=[invoice.pk])):
        response = client.get(url)
        assert "par carte" in body(response) and form_action(response) == f"'self' {PAYFIP}", url
    # A payment in progress: no pay button on the home page, so no PayFiP either.
    attempt = start(alice, invoice.regie)
    assert form_action(client.get(reverse("portal:home"))) == "'self'"
    assert form_action(client.get(reverse("payments:result", args=[attempt.token]))) == "'self'"
    # Abandoned: its page offers to pay again, and lets that button's redirect through.
    response = client.post(reverse("payments:abandon", args=[attempt.token]), follow=True)
    assert PAY_1530 in body(response) and form_action(response) == f"'self' {PAYFIP}"


def test_nothing_owed_no_payfip(alice, client):
    login_client(client, alice)
    response = client.get(reverse("portal:home"))
    assert "par carte" not in body(response) and form_action(response) == "'self'"


def _middleware(content, **kwargs):
    request = RequestFactory().get("/")
    origins = kwargs.pop("origins", None)
    if origins is not None:
        request.csp_form_origins = origins
    response = content if not isinstance(content, (str, bytes)) else HttpResponse(content, **kwargs)
    return SecurityHeadersMiddleware(lambda request: response)(request)


def test_the_policy_allows_the_banks_only_for_a_real_pay_form():
    form = BANK_REDIRECT_FORM.decode() + 'method="post" action="/portail/paiements/payer/">'
    assert form_action(_middleware(f"<p>{form}</p>")) == f"'self' {PAYFIP}"
    # Text that merely quotes it (a message, a name) is escaped: never a form.
    assert form_action(_middleware(f"<p>{escape(form)}</p>")) == "'self'"
    assert form_action(_middleware(form, content_type="text/plain")) == "'self'"
    assert form_action(_middleware(StreamingHttpResponse(iter([form.encode()])))) == "'self'"
    # A view naming its own targets (payments:go, its bank's form).
    assert form_action(_middleware("<p></p>", origins=("https://bank.example",))) == "'self' https://bank.example"
    # A policy a view set itself is kept.
    response = HttpResponse("<p></p>")
    response["Content-Security-Policy"] = "default-src 'none'"
    assert _middleware(response)["Content-Security-Policy"] == "default-src 'none'"
