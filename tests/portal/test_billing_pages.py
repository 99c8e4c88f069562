"""The household's invoices on the Portail Famille: the list with its states, an invoice explained line by line
(the rule of each price, the previous balance shown but never in the amount due, what is paid and left), the
statement's running balance, 404 for what is not the household's (drafts included), constant query counts."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enfance.activities.models import Booking
from enfance.billing import payments, portal_queries, runs
from enfance.billing.models import Invoice, InvoiceLine, Payment, Quotient
from enfance.core.templatetags.enfance import day_month
from enfance.core.text import de_name
from enfance.families.access import children_of
from tests.activities.test_bookings import centre
from tests.billing.helpers import regie_for, tariff
from tests.helpers import session_queries, text

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
D = datetime.date
DECEMBER = (D(2026, 12, 1), D(2026, 12, 31))
JANUARY = (D(2027, 1, 1), D(2027, 1, 31))
AFTER_DECEMBER = datetime.datetime(2027, 1, 5, 9, 0, tzinfo=PARIS)
AFTER_JANUARY = datetime.datetime(2027, 2, 3, 9, 0, tzinfo=PARIS)
WEDNESDAYS = [D(2026, 12, 2), D(2026, 12, 9), D(2026, 12, 16)]


def booked(family, child, unit, day):
    return Booking.objects.create(family=family, child=child, unit=unit, day=day, state="booked")


def run_month(regie, period=DECEMBER, now=AFTER_DECEMBER):
    run = runs.start(regie, *period, user=None)
    runs.preview(run.pk, now=now)
    return runs.issue(run.pk, now=now)


@pytest.fixture
def world(alice):
    """Alice's household (QF 620: the second bracket) booked for three Wednesdays of December, invoiced."""
    whole, _half, _meal = centre(capacity=20)
    regie = regie_for(whole.activity)
    tariff(whole, [(500, "3.20"), (1000, "5.10"), (None, "7.00")], outside="9.00")
    family = alice.family
    Quotient.objects.update_or_create(family=family, valid_from=D(2026, 9, 1),
                                      defaults={"value": 620, "source": "caf"})
    child = children_of(family).order_by("pk").first()
    for day in WEDNESDAYS:
        booked(family, child, whole, day)
    run_month(regie)
    invoice = Invoice.objects.get(family=family, state="issued")
    return regie, whole, child, invoice


def page(client, name, *args, query="", status=200):
    response = client.get(reverse(name, args=args) + query)
    assert response.status_code == status, f"{name} {args} {query}: {response.status_code}"
    return text(response)


# --- the invoice explained ----------------------------------------------------------------------------------

def test_the_invoice_shows_each_line_with_its_days_calculation_and_rule(world, alice_client):
    regie, _whole, child, invoice = world
    body = page(alice_client, "portal:invoice", invoice.pk)
    assert f"Facture n° {invoice.number}" in body and regie.name in body
    (line,) = invoice.lines.all()
    assert child.first_name in line.label and line.label in body
    assert "QF 620" in line.rule and line.rule in body
    assert "décembre 2026 : 2, 9 et 16" in body  # the days, in French, a month at a time
    assert "3 × 5,10\u00a0€" in body and "15,30\u00a0€" in body
    assert "Réservé" in body  # the line's nature
    # How to pay, at the régie, or online (the sandbox bank in the tests) for what is left on this invoice.
    assert regie.address in body and regie.hours in body
    assert "chèque" in body and "espèces" in body and "CESU" in body
    assert "Payer cette facture par carte : 15,30 €" in body
    assert f'name="invoice" value="{invoice.pk}"' in body and f'name="regie" value="{regie.pk}"' in body
    # The legal mentions of a local authority's payment notice.
    assert f"Mairie {de_name(settings.COMMUNE_NAME)}" in body
    assert "délibération du conseil municipal" in body
    assert "L1617-5" in body and "deux mois" in body
    assert "tribunal judiciaire ou le tribunal administratif" in body
    assert 'href="/portail/factures/' in body  # back to the list
    assert f'href="/portail/factures/{invoice.pk}/pdf/"' in body  # the PDF archived at the issue


def test_the_previous_balance_is_shown_for_information_but_not_in_the_amount_due(world, alice_client):
    regie, whole, child, december = world
    booked(december.family, child, whole, D(2027, 1, 6))
    run_month(regie, JANUARY, AFTER_JANUARY)
    january = Invoice.objects.get(family=december.family, first_day=JANUARY[0])
    assert january.previous_balance == Decimal("15.30") and january.total == Decimal("5.10")
    body = page(alice_client, "portal:invoice", january.pk)
    assert "Solde antérieur, pour information" in body
    assert "il n'est pas ajouté au montant de cette facture" in body
    summary = _section(body, "summary-title")
    assert "15,30\u00a0€" in summary  # the previous balance, shown
    assert re.search(r"Montant de cette facture</dt><dd><strong>5,10\xa0€", summary)
    assert re.search(r"Reste à payer</dt><dd><strong>5,10\xa0€", summary)
    # Never added to this invoice's amount; the total due to the régie, as the PDF prints it, says it once.
    assert body.count("20,40") == 1
    assert re.search(r"Total dû à la régie, solde antérieur compris</dt>\s*<dd><strong>20,40\xa0€", summary)
    # The list: each invoice its own amount and what is left on it.
    listing = page(alice_client, "portal:invoices")
    assert "vous devez 20,40\u00a0€" in listing  # the account owes both
    assert listing.index(january.number) < listing.index(december.number)  # newest first


def _section(body, title_id):
    start = body.index(f'id="{title_id}"')
    return body[start:body.index("</section>", start)]


def test_a_partly_paid_invoice_shows_the_payment_and_what_is_left(world, alice_client):
    regie, _whole, _child, invoice = world
    payments.record(regie=regie, family=invoice.family, means=Payment.Means.CHEQUE, amount="10.00",
                    received_on=D(2027, 1, 10), reference="0001234")
    body = page(alice_client, "portal:invoice", invoice.pk)
    assert "payée en partie" in body
    settled = _section(body, "settled-title")
    assert "Par chèque n° 0001234 du 10 janvier 2027" in settled and "10,00\u00a0€" in settled
    assert "Reste à payer : 5,30\u00a0€" in settled
    assert f"?regie={regie.pk}#reglement-" in settled  # the payment, linked on the statement
    listing = page(alice_client, "portal:invoices")
    assert "payée en partie" in listing and "5,30\u00a0€" in listing
    assert "vous devez 5,30\u00a0€" in listing


def test_a_paid_invoice_and_an_overdue_one_say_so_in_words(world, alice_client):
    regie, _whole, _child, invoice = world
    Invoice.objects.filter(pk=invoice.pk).update(due_on=D(2026, 11, 1))  # long past
    body = page(alice_client, "portal:invoices")
    assert "à payer" in body and "échue depuis le 1er novembre 2026" in body
    assert "avant le" not in body
    detail = page(alice_client, "portal:invoice", invoice.pk)
    assert "Échue depuis le 1er novembre 2026" in _section(detail, "summary-title")
    how = _section(detail, "pay-title")
    # Never "payez avant" a date gone by: overdue, with what is still due.
    assert "Cette facture est échue depuis le 1er novembre 2026 : il reste 15,30\u00a0€ à payer" in how
    assert "avant le" not in how and "Payez" not in how
    payments.record(regie=regie, family=invoice.family, means=Payment.Means.CASH, amount="10.00",
                    received_on=D(2027, 1, 10))
    assert "il reste 5,30\u00a0€ à payer" in _section(page(alice_client, "portal:invoice", invoice.pk), "pay-title")
    payments.record(regie=regie, family=invoice.family, means=Payment.Means.CASH, amount="5.30",
                    received_on=D(2027, 1, 11))
    body = page(alice_client, "portal:invoices")
    assert ">payée<" in body and "échue" not in body and "avant le" not in body
    assert "vous n'avez rien à payer" in body
    detail = page(alice_client, "portal:invoice", invoice.pk)
    assert "vous n'avez plus rien à payer" in detail
    assert "échue depuis" not in detail and "avant le" not in detail and "Payée" in _section(detail, "summary-title")


def test_an_invoice_not_yet_due_says_pay_before(world, alice_client):
    _regie, _whole, _child, invoice = world
    Invoice.objects.filter(pk=invoice.pk).update(due_on=timezone.localdate() + datetime.timedelta(days=3))
    due = day_month(timezone.localdate() + datetime.timedelta(days=3), "Y")
    assert f"à payer avant le {due}" in page(alice_client, "portal:invoices")
    assert f"Payez 15,30\u00a0€ avant le {due}" in page(alice_client, "portal:invoice", invoice.pk)


def test_a_credit_note_names_the_invoice_it_corrects_and_lowers_what_is_left(world, alice_client):
    regie, whole, child, invoice = world
    note = Invoice.objects.create(
        regie=regie, family=invoice.family, kind="credit_note", state="issued", corrects=invoice,
        number="CANTAV2027000001", issued_at=AFTER_JANUARY, first_day=JANUARY[0], last_day=JANUARY[1],
        total=Decimal("5.10"))
    InvoiceLine.objects.create(
        invoice=note, child=child, unit=whole, kind="credit", credits_kind="booked", corrects=invoice,
        label=f"{child.first_name} – Centre de loisirs – Journée", days=["2026-12-16"], quantity=1,
        unit_price=Decimal("5.10"), amount=Decimal("5.10"),
        rule=f"Facturé sur la facture {invoice.number} (Réservé), n'est plus dû : 16 décembre")
    body = page(alice_client, "portal:invoice", note.pk)
    assert "Avoir n° CANTAV2027000001" in body
    assert f'href="/portail/factures/{invoice.pk}/"' in body and f"la facture n° {invoice.number}" in body
    assert "5,10\u00a0€ en votre faveur" in body
    assert "Correction" in body and "(réservé)" in body
    assert "décembre 2026 : 16" in body
    corrected = page(alice_client, "portal:invoice", invoice.pk)
    assert f'href="/portail/factures/{note.pk}/"' in corrected
    assert "Reste à payer : 10,20\u00a0€" in corrected
    listing = page(alice_client, "portal:invoices")
    assert "avoir" in listing and f"corrige la facture n° {invoice.number}" in listing


# --- the statement ------------------------------------------------------------------------------------------

def _balances(body):
    return re.findall(r'data-label="Solde" class="num">([^<]*)</td>', body)


def test_the_statement_runs_the_balance_through_a_payment_and_its_reversal(world, alice_client):
    regie, _whole, _child, invoice = world
    family = invoice.family
    cheque = payments.record(regie=regie, family=family, means=Payment.Means.CHEQUE, amount="10.00",
                             received_on=D(2027, 1, 10), reference="0001234")
    payments.reverse(cheque, reason="Chèque refusé par la banque")
    payments.record(regie=regie, family=family, means=Payment.Means.CASH, amount="20.00",
                    received_on=D(2027, 1, 20))
    body = page(alice_client, "portal:statement")
    assert _balances(body) == ["15,30\u00a0€ à payer", "5,30\u00a0€ à payer", "15,30\u00a0€ à payer",
                               "4,70\u00a0€ en votre faveur"]
    today = day_month(timezone.localdate(), "Y")
    assert f"Paiement annulé le {today}" in body
    assert "règlement par chèque n° 0001234 du 10 janvier 2027" in body
    assert f"annulé le {today}" in body  # on the cancelled payment's own line too
    assert "Règlement en espèces du 20 janvier 2027" in body
    assert "vous avez un crédit de 4,70\u00a0€" in body
    assert f'id="reglement-{cheque.pk}"' in body and f'href="/portail/factures/{invoice.pk}/"' in body
    assert 'class="printable"' in body  # printed, the table is a table again


def test_the_statement_chooses_among_several_regies_and_survives_bad_query_strings(world, alice_client, alice):
    regie, _whole, _child, invoice = world
    other = regie_for(code="ALSH", name="Accueil de loisirs")  # before "Régie enfance" by name
    Payment.objects.create(regie=other, family=alice.family, means="cash", amount=Decimal("8.00"),
                           received_on=D(2027, 1, 2))
    default = page(alice_client, "portal:statement")
    assert "Accueil de loisirs · dossier" in default  # the first by name
    chosen = page(alice_client, "portal:statement", query=f"?regie={regie.pk}")
    assert f"{regie.name} · dossier" in chosen and invoice.number in chosen
    for query in ("?regie=abc", "?regie=", "?regie=99999999999999999999999", "?regie=-1", f"?regie={regie.pk}x",
                  "?regie=987654321"):
        page(alice_client, "portal:statement", query=query)
    for query in ("?page=abc", "?page=999", "?page=-1"):
        page(alice_client, "portal:invoices", query=query)
    listing = page(alice_client, "portal:invoices")
    assert "Accueil de loisirs</strong> :" in listing and "vous avez un crédit de 8,00\u00a0€" in listing
    assert "Régie enfance</strong> :" in listing and "vous devez 15,30\u00a0€" in listing


def test_a_household_without_invoices_gets_empty_pages(bob, client):
    client.force_login(bob)
    assert "Aucune facture pour l'instant." in page(client, "portal:invoices")
    assert "Aucune facture ni aucun règlement pour l'instant." in page(client, "portal:statement")


# --- what is not the household's ----------------------------------------------------------------------------

def test_another_households_invoice_answers_404_like_a_missing_one(world, client, bob):
    _regie, _whole, _child, invoice = world
    client.force_login(bob)
    foreign = client.get(reverse("portal:invoice", args=[invoice.pk]))
    missing = client.get(reverse("portal:invoice", args=[987654321]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert invoice.number not in page(client, "portal:invoices")
    assert invoice.number not in page(client, "portal:statement")


def test_drafts_and_discarded_drafts_are_invisible(world, alice_client):
    regie, whole, child, invoice = world
    booked(invoice.family, child, whole, D(2027, 1, 6))
    run = runs.start(regie, *JANUARY, user=None)
    runs.preview(run.pk, now=AFTER_JANUARY)
    draft = Invoice.objects.get(run=run, state="draft")
    missing = alice_client.get(reverse("portal:invoice", args=[987654321]))
    for state in ("draft", "discarded"):
        assert draft.state == state
        response = alice_client.get(reverse("portal:invoice", args=[draft.pk]))
        assert response.status_code == 404 and response.content == missing.content
        listing = page(alice_client, "portal:invoices")
        assert f'href="/portail/factures/{draft.pk}/"' not in listing and listing.count("Facture n° ") == 1
        assert "vous devez 15,30\u00a0€" in listing  # the draft's 5,10 € owed by nobody yet
        assert len(_balances(page(alice_client, "portal:statement"))) == 1
        if state == "draft":
            runs.discard(run.pk)
            draft.refresh_from_db()


# --- the words ------------------------------------------------------------------------------------------

def test_days_are_grouped_by_month_with_runs_shortened():
    days = ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-05", "2026-12-08", "2026-12-09", "2027-01-04",
            "2026-12-05", "not a day"]
    assert portal_queries.days_text(days) == ["décembre 2026 : du 1er au 3, 5, 8 et 9", "janvier 2027 : 4"]
    assert portal_queries.days_text([]) == []
    assert portal_queries.period_text(D(2026, 12, 1), D(2026, 12, 31)) == "décembre 2026"
    assert portal_queries.period_text(D(2026, 11, 3), D(2026, 11, 21)) == "du 3 au 21 novembre 2026"
    assert portal_queries.period_text(D(2026, 12, 1), D(2027, 1, 15)) == "du 1er décembre 2026 au 15 janvier 2027"


def test_the_menu_leads_to_the_invoices(alice_client):
    body = page(alice_client, "portal:invoices")
    assert re.search(r'href="/portail/factures/" aria-current="page">Mes factures<', body)


# --- query counts -----------------------------------------------------------------------------------------

def _issue(regie, family, child, unit, n, *, kind="invoice", corrects=None, lines=1):
    invoice = Invoice.objects.create(
        regie=regie, family=family, kind=kind, state="issued", corrects=corrects,
        number=f"{regie.code}{'AV' if kind == 'credit_note' else ''}2027{family.pk:03d}{n:03d}",
        issued_at=AFTER_DECEMBER + datetime.timedelta(days=n), first_day=DECEMBER[0], last_day=DECEMBER[1],
        total=Decimal("3.20") * lines, due_on=D(2027, 2, 4) if kind == "invoice" else None,
        previous_balance=Decimal("3.20") * n)
    for i in range(lines):
        InvoiceLine.objects.create(
            invoice=invoice, child=child, unit=unit, kind="credit" if corrects else "booked", corrects=corrects,
            label=f"{child.first_name} – Journée", days=[f"2026-12-{i + 1:02d}"], quantity=1,
            unit_price=Decimal("3.20"), amount=Decimal("3.20"), rule="Tranche 1 (QF 420)")
    return invoice


def _account(login, size, unit, regies):
    """`size` invoices of `size` lines in each régie, each partly paid, half of them corrected by a credit
    note, and a reversed payment."""
    family = login.family
    child = children_of(family).order_by("pk").first()
    last = None
    for regie in regies:
        for n in range(size):
            last = _issue(regie, family, child, unit, n + 1, lines=size)
            payments.record(regie=regie, family=family, means="cheque", amount="1.00", received_on=D(2027, 1, 20),
                            invoice_ids=[last.pk])
            if n % 2:
                _issue(regie, family, child, unit, 100 + n, kind="credit_note", corrects=last)
        cheque = payments.record(regie=regie, family=family, means="cash", amount="1.00", received_on=D(2027, 1, 21))
        payments.reverse(cheque, reason="Erreur de saisie")
    return last


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# Besides the session's: the login with its household and the inbox count (1), then the page's own.
PAGES = [
    ("portal:invoices", False, 8),  # + the count and the page of invoices, the balances (2), their régies, the QF,
    # the payments in progress of every régie owed, at once (payments.views.mark_in_progress: "un paiement est en
    # cours" instead of a second pay button)
    ("portal:invoice", True, 9),  # + the invoice, its lines, credit notes, allocations, their payments' history,
    # what is left (2), a payment in progress on it (payments.views.mark_invoice_in_progress, when left to pay)
    ("portal:statement", False, 6),  # + the household's régies, its invoices, its payments and their allocations,
    # the régie's payment in progress (payments.views.mark_in_progress, when something is owed)
]


@pytest.mark.parametrize("name, with_invoice, expected", PAGES)
def test_billing_pages_run_a_fixed_number_of_queries(client, alice, bob, name, with_invoice, expected):
    whole, _half, _meal = centre(capacity=20)
    first = regie_for(whole.activity)
    second = regie_for(code="ALSH", name="Accueil de loisirs")
    counts = []
    for login, size, regies in ((bob, 1, [first]), (alice, 6, [first, second])):
        last = _account(login, size, whole, regies)
        client.force_login(login)
        url = reverse(name, args=[last.pk] if with_invoice else [])
        count_queries(client, url)  # warm the session and caches
        counts.append(count_queries(client, url))
    assert counts[0] == counts[1], f"{name}: {counts[0]} queries for one invoice, {counts[1]} for many"
    expected += session_queries()
    assert counts[1] == expected, f"{name}: {counts[1]} queries, {expected} expected"


def test_a_credit_notes_page_runs_fewer_queries(client, alice):
    whole, _half, _meal = centre(capacity=20)
    regie = regie_for(whole.activity)
    last = _account(alice, 4, whole, [regie])
    note = Invoice.objects.filter(kind="credit_note", family=alice.family).order_by("-pk").first()
    client.force_login(alice)
    url = reverse("portal:invoice", args=[note.pk])
    count_queries(client, url)
    assert count_queries(client, url) == 3 + session_queries()  # + the credit note and its lines
    assert last.pk != note.pk


# --- after the usability review: what the family reads ---------------------------------------------------------

def test_a_reversed_payment_says_cancelled_never_staffs_reason(world, alice_client):
    regie, _whole, _child, invoice = world
    cheque = payments.record(regie=regie, family=invoice.family, means=Payment.Means.CHEQUE, amount="10.00",
                             received_on=D(2027, 1, 10), reference="0001234")
    reversal = payments.reverse(cheque, reason="Saisie en double, voir Mme Giraud (NOTE INTERNE)")
    Payment.objects.filter(pk=reversal.pk).update(recorded_at=datetime.datetime(2027, 1, 14, 11, tzinfo=PARIS))
    detail = page(alice_client, "portal:invoice", invoice.pk)
    statement = page(alice_client, "portal:statement")
    for body in (detail, statement):
        assert "NOTE INTERNE" not in body and "Saisie en double" not in body
    settled = _section(detail, "settled-title")
    assert "Paiement annulé" in settled and "14 janvier 2027" in settled
    assert "Par chèque n° 0001234 du 10 janvier 2027" in settled
    assert "Paiement annulé le 14 janvier 2027" in statement


def _moved_credit(world, cheque_amount="15.30"):
    """December paid by cheque, then a credit note on December: its credit goes to January's invoice."""
    regie, whole, child, december = world
    family = december.family
    cheque = payments.record(regie=regie, family=family, means=Payment.Means.CHEQUE, amount=cheque_amount,
                             received_on=D(2027, 1, 8), reference="7654321")
    note = Invoice.objects.create(
        regie=regie, family=family, kind="credit_note", state="issued", corrects=december,
        number="CANTAV2027000001", issued_at=AFTER_JANUARY - datetime.timedelta(hours=1), first_day=JANUARY[0],
        last_day=JANUARY[1], total=Decimal("5.10"))
    InvoiceLine.objects.create(
        invoice=note, child=child, unit=whole, kind="credit", credits_kind="booked", corrects=december,
        label="Correction", days=["2026-12-16"], quantity=1, unit_price=Decimal("5.10"), amount=Decimal("5.10"),
        rule="n'est plus dû")
    assert payments.release_overpaid(december.pk) == Decimal("5.10")
    booked(family, child, whole, D(2027, 1, 6))
    booked(family, child, whole, D(2027, 1, 13))
    run_month(regie, JANUARY, AFTER_JANUARY)
    january = Invoice.objects.get(family=family, kind="invoice", first_day=JANUARY[0])
    payments.allocate_credit(regie, family)
    return december, note, january, cheque


def test_a_credit_moved_by_a_credit_note_is_named_for_what_it_is(world, alice_client):
    december, note, january, _cheque = _moved_credit(world)
    body = page(alice_client, "portal:statement")
    rows = re.findall(r'<th scope="row">(.*?)</th>', body, re.S)
    words = [re.sub(r"<[^>]+>", "", row) for row in rows]
    assert words == [
        f"Facture n° {december.number} (décembre 2026)",
        f"Règlement par chèque n° 7654321 du 8 janvier 2027 (pour la facture n° {december.number})",
        f"Avoir n° {note.number} (sur la facture n° {december.number}, déjà payée : reporté sur la facture n° "
        f"{january.number})",
        f"Facture n° {january.number} (janvier 2027)",
    ]
    # The balance explained line by line: paid, then a credit, then January less that credit.
    assert _balances(body) == ["15,30\u00a0€ à payer", "0,00\u00a0€", "5,10\u00a0€ en votre faveur",
                               "5,10\u00a0€ à payer"]
    # January's page: the 5,10 € come from the credit note, not from a cheque paying January.
    settled = _section(page(alice_client, "portal:invoice", january.pk), "settled-title")
    assert f"Avoir n° {note.number} sur la facture n° {december.number}, reporté sur cette facture" in settled
    assert ">Règlement<" not in settled
    assert "Reste à payer : 5,10\u00a0€" in settled
    # December's: the part of the cheque the credit note gave back, and where it went.
    settled = _section(page(alice_client, "portal:invoice", december.pk), "settled-title")
    assert (f"Avoir n° {note.number} sur cette facture déjà payée, reporté sur la facture n° {january.number}"
            in settled)
    assert "-5,10\u00a0€" in settled and "Reste à payer : 0,00\u00a0€" in settled


def test_the_invoice_is_billed_to_the_guardian_by_first_name_and_surname(world, alice_client, alice):
    _regie, _whole, _child, invoice = world
    guardian = alice.family.guardians.get(rank=1)
    summary = _section(page(alice_client, "portal:invoice", invoice.pk), "summary-title")
    assert f"<dd>{guardian.first_name} {guardian.last_name}<br>{alice.family.full_address}<br>" in summary
    # An invoice issued with the surnames only as its name still shows the full name from its snapshot.
    Invoice.objects.filter(pk=invoice.pk).update(billed_to={
        "reference": "F9", "name": "Alice", "address": "1 rue Haute, 83440 Tourrettes",
        "guardians": ["Claire Alice", "Marc Alice"]})
    summary = _section(page(alice_client, "portal:invoice", invoice.pk), "summary-title")
    assert "<dd>Claire Alice<br>1 rue Haute, 83440 Tourrettes<br>" in summary


def test_a_credit_note_is_masculine_and_dates_say_1er(world, alice_client):
    regie, whole, child, invoice = world
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=datetime.datetime(2027, 1, 1, 9, tzinfo=PARIS))
    note = Invoice.objects.create(
        regie=regie, family=invoice.family, kind="credit_note", state="issued", corrects=invoice,
        number="CANTAV2027000002", issued_at=AFTER_JANUARY, first_day=JANUARY[0], last_day=JANUARY[1],
        total=Decimal("5.10"))
    body = page(alice_client, "portal:invoice", note.pk)
    assert "Émis le</dt>" in body and "Émise le" not in body
    assert "du 1er janvier 2027" in body and "1 janvier" not in body
    listing = page(alice_client, "portal:invoices")
    assert "Date d'émission" in listing and "Émise le" not in listing


def test_one_quotient_the_one_valid_today_with_its_source_on_every_page(world, alice_client, alice):
    family = alice.family
    caf = family.caf_info
    caf.quotient, caf.quotient_valid_from = 999, D(2026, 1, 1)
    caf.save()  # a new QF follows from the first day it may apply: next month, not today
    information = page(alice_client, "portal:information")
    listing = page(alice_client, "portal:invoices")
    sentence = ("Votre quotient familial : <strong>620</strong>, d'après votre attestation CAF, valable depuis le "
                "1er septembre 2026.")
    for body in (information, listing):
        assert sentence in body
        assert body.count("Votre quotient familial") == 1
    # The C.A.F. block no longer shows a second, different figure with its own date.
    caf_card = _section(information, "caf-title")
    assert "999" not in caf_card and "quotient" not in caf_card.lower()
    upcoming = portal_queries.quotient_today(family).upcoming
    assert upcoming is not None and upcoming.value == 999
    assert f"À partir du {day_month(upcoming.valid_from, 'Y')} : 999" in information


def test_a_quotient_computed_from_the_tax_notice_says_so(alice_client, alice):
    Quotient.objects.filter(family=alice.family).delete()
    Quotient.objects.create(family=alice.family, value=853, valid_from=D(2026, 9, 1), source="tax")
    body = page(alice_client, "portal:information")
    assert "<strong>853</strong>, calculé d'après votre avis d'imposition" in body
    Quotient.objects.filter(family=alice.family).delete()
    assert "Aucun quotient familial n'est enregistré" in page(alice_client, "portal:invoices")


def test_a_credit_moved_partly_from_a_credit_note_says_how_much_was_the_cheques_own(world, alice_client):
    # A cheque of 20 € for 15,30 € left 4,70 € of credit; a credit note gave back 5,10 € more: the 9,80 € moved to
    # January were all labelled as the credit note's.
    december, note, january, _cheque = _moved_credit(world, cheque_amount="20.00")
    settled = _section(page(alice_client, "portal:invoice", january.pk), "settled-title")
    assert (f"Avoir n° {note.number} sur la facture n° {december.number}, reporté sur cette facture, et "
            "4,70\u00a0€ de trop-perçu de ce règlement") in settled
    statement = page(alice_client, "portal:statement")
    assert (f"Règlement par chèque n° 7654321 du 8 janvier 2027 (pour les factures n° {december.number} et "
            f"{january.number})") in re.sub(r"<[^>]+>", "", statement)
