"""Money at the desk: a payment recorded with its allocation and receipt, refused next to the field when it
cannot be, reversed once (twice: a polite "déjà annulé"), the staff's invoice page and statement, every
household's balance in a fixed number of queries, the overdue invoices and their reminders, and the household
page's account card (never for leaders)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enfance.billing import ledger, payments, reminders
from enfance.billing.models import Allocation, Invoice, Payment, Reminder
from enfance.core.models import AuditEntry, OutgoingEmail
from enfance.families import access
from enfance.families.models import Family
from tests.activities.test_bookings import centre
from tests.billing.test_reminders import issue, make_regie
from tests.factories import make_household
from tests.helpers import session_queries, text

from .conftest import client_for, count_queries

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world(alice, bob):
    regie = make_regie()
    whole, _half, _meal = centre()
    family = alice.family
    old = issue(regie, family, "14.00", number="ENF2026000001", issued_days_ago=75, due_days_ago=45, unit=whole)
    recent = issue(regie, family, "10.00", number="ENF2026000002", unit=whole, previous_balance="14.00")
    bobs = issue(regie, bob.family, "30.00", number="ENF2026000003", unit=None)
    return {"regie": regie, "family": family, "old": old, "recent": recent, "bobs": bobs, "unit": whole}


def _post_payment(client, family, **data):
    fields = {"regie": data.pop("regie").pk, "means": "cheque", "amount": "30,00",
              "received_on": timezone.localdate().isoformat(), "reference": "0001234", **data}
    return client.post(reverse("backoffice:payment_new", args=[family.pk]), fields)


def _left(*invoices):
    found = ledger.remaining(invoices)
    return [found[i.pk] for i in invoices]


# --- recording a payment ------------------------------------------------------------------------------------

def test_a_payment_is_allocated_and_its_receipt_shows_where_it_went(world, staff_client, staff):
    regie, family, old, recent = world["regie"], world["family"], world["old"], world["recent"]
    form = text(staff_client.get(reverse("backoffice:payment_new", args=[family.pk])))
    assert "ENF2026000001" in form and "ENF2026000002" in form and "ENF2026000003" not in form
    assert f'value="{timezone.localdate().isoformat()}"' in form  # received today, unless told otherwise
    response = _post_payment(staff_client, family, regie=regie)
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("backoffice:payment", args=[payment.pk])
    assert payment.recorded_by == staff and payment.reference == "0001234" and payment.means == "cheque"
    assert _left(old, recent) == [Decimal("0.00"), Decimal("0.00")]
    receipt = text(staff_client.get(response["Location"]))
    assert f"Reçu du règlement n° {payment.pk}" in receipt and "printable" in receipt
    assert "ENF2026000001" in receipt and "14,00\u00a0€" in receipt and "10,00\u00a0€" in receipt
    assert "Crédit restant sur le compte du foyer : 6,00\u00a0€." in receipt
    assert "Règlement de 30,00\u00a0€ enregistré." in receipt
    entry = AuditEntry.objects.get(object_type="payment")
    assert entry.actor == staff and entry.family == family and entry.object_id == str(payment.pk)
    assert "ENF2026000001 : 14,00\u00a0€" in entry.changes["réparti sur"][1]


def test_a_payment_goes_to_the_invoices_ticked_in_their_order(world, staff_client):
    regie, family, old, recent = world["regie"], world["family"], world["old"], world["recent"]
    _post_payment(staff_client, family, regie=regie, amount="10", invoices=[recent.pk])
    assert _left(old, recent) == [Decimal("14.00"), Decimal("0.00")]
    # From the invoice page: the form comes with that invoice ticked and what is left on it.
    form = text(staff_client.get(reverse("backoffice:payment_new", args=[family.pk]), {"facture": old.pk}))
    assert f'value="{old.pk}" id="id_invoices_0" checked>' in form
    assert "ENF2026000002" not in form  # settled: no longer to choose
    assert 'value="14,00"' in form


def test_a_cheque_without_its_number_is_refused_next_to_the_field(world, staff_client):
    response = _post_payment(staff_client, world["family"], regie=world["regie"], reference="  ")
    body = text(response)
    assert response.status_code == 200
    assert '<p class="error" id="id_reference_error">Indiquez le numéro du chèque.</p>' in body
    assert not Payment.objects.exists()
    assert 'value="30,00"' in body  # nothing typed is lost
    # Cash needs no number.
    assert _post_payment(staff_client, world["family"], regie=world["regie"], means="cash",
                         reference="").status_code == 302


def test_a_date_in_the_future_and_a_bad_amount_are_refused(world, staff_client):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    body = text(_post_payment(staff_client, world["family"], regie=world["regie"], received_on=tomorrow))
    assert '<p class="error" id="id_received_on_error">La date de réception ne peut pas être dans le futur.</p>' in body
    body = text(_post_payment(staff_client, world["family"], regie=world["regie"], amount="0"))
    assert '<p class="error" id="id_amount_error">Le montant doit être positif.</p>' in body
    body = text(_post_payment(staff_client, world["family"], regie=world["regie"], amount="douze"))
    assert 'id="id_amount_error"' in body
    assert not Payment.objects.exists()


def test_another_households_invoice_is_refused(world, staff_client, bob):
    bobs = world["bobs"]
    response = _post_payment(staff_client, world["family"], regie=world["regie"], invoices=[bobs.pk])
    body = text(response)
    assert response.status_code == 200 and 'id="id_invoices_error"' in body
    assert not Payment.objects.exists() and not Allocation.objects.exists()
    assert _left(bobs) == [Decimal("30.00")]
    # Through bob's household page the invoice is his own: the same id is fine there.
    assert _post_payment(staff_client, bob.family, regie=world["regie"], invoices=[bobs.pk]).status_code == 302
    assert _left(bobs) == [Decimal("0.00")]


def test_an_invoice_of_another_regie_is_refused_next_to_the_invoices(world, staff_client):
    other = make_regie("Régie des sports", "SPO")
    body = text(_post_payment(staff_client, world["family"], regie=other, invoices=[world["old"].pk]))
    assert "ne sont pas de la régie choisie : ENF2026000001" in body
    assert not Payment.objects.exists()


def test_leaders_and_families_never_record_payments(world, client, leader, alice):
    url = reverse("backoffice:payment_new", args=[world["family"].pk])
    assert client_for(leader).get(url).status_code == 403
    assert client_for(alice).get(url).status_code == 403


# --- reversal -------------------------------------------------------------------------------------------------

def _pay(world, amount="24.00", **extra):
    return payments.record(regie=world["regie"], family=world["family"], means="cheque", amount=Decimal(amount),
                           received_on=timezone.localdate(), reference="77", **extra)


def test_a_payment_is_reversed_once_with_its_reason_and_twice_says_already(world, staff_client, staff):
    payment = _pay(world)
    url = reverse("backoffice:payment_reverse", args=[payment.pk])
    page = text(staff_client.get(url))
    assert "Motif de l'annulation" in page and "facture n° ENF2026000001 : 14,00\u00a0€" in page
    response = staff_client.post(url, {"reason": ""})
    assert response.status_code == 200 and 'id="id_reason_error"' in text(response)
    assert Payment.objects.count() == 1
    response = staff_client.post(url, {"reason": "Chèque sans provision"})
    assert response.status_code == 302 and response["Location"] == reverse("backoffice:payment", args=[payment.pk])
    reversal = Payment.objects.get(reverses=payment)
    assert reversal.amount == Decimal("-24.00") and reversal.reason == "Chèque sans provision"
    assert _left(world["old"], world["recent"]) == [Decimal("14.00"), Decimal("10.00")]
    entry = AuditEntry.objects.get(object_type="payment", object_id=str(reversal.pk))
    assert entry.actor == staff and entry.changes["motif"] == ["", "Chèque sans provision"]
    # The second click of a double submit, or another agent: a message, nothing more.
    again = staff_client.post(url, {"reason": "Encore"}, follow=True)
    assert again.status_code == 200 and "Ce règlement est déjà annulé." in text(again)
    assert Payment.objects.count() == 2
    assert "Ce règlement est déjà annulé" in text(staff_client.get(url))
    receipt = text(staff_client.get(reverse("backoffice:payment", args=[payment.pk])))
    assert "Ce règlement a été annulé le" in receipt and "Chèque sans provision" in receipt
    assert "Annuler le règlement n°" not in receipt.replace(f"Annuler le règlement n° {payment.pk}</title>", "")
    # A reversal is not reversed.
    response = staff_client.post(reverse("backoffice:payment_reverse", args=[reversal.pk]), {"reason": "x"},
                                 follow=True)
    assert "Une annulation ne s'annule pas" in text(response) and Payment.objects.count() == 2


def test_a_payment_of_nobody_answers_404(world, staff_client):
    assert staff_client.get(reverse("backoffice:payment", args=[987654321])).status_code == 404
    assert staff_client.post(reverse("backoffice:payment_reverse", args=[987654321]),
                             {"reason": "x"}).status_code == 404


# --- the invoice page and the statement -----------------------------------------------------------------------

def test_the_invoice_page_shows_lines_rules_settlements_and_what_is_left(world, staff_client, staff):
    regie, family, recent = world["regie"], world["family"], world["recent"]
    note = issue(regie, family, "3.00", number="ENFAV2026000001", kind=Invoice.Kind.CREDIT_NOTE, corrects=recent,
                 unit=world["unit"])
    payment = _pay(world, "16.00")  # 14,00 to the old one, 2,00 to this one
    reminders.send(regie, family, [recent], staff)
    page = text(staff_client.get(reverse("backoffice:invoice", args=[recent.pk])))
    assert "Facture n° ENF2026000002" in page and "Tranche 2 (QF 620) : 7,00 € la journée" in page
    assert "14,00\u00a0€ restaient à payer avant cette facture" in page
    # As the PDF prints it: the previous balance plus this invoice (14,00 + 10,00), as of its issue.
    assert "Total dû à la régie, solde antérieur compris</dt><dd>24,00\u00a0€" in page
    assert "Avoir n° ENFAV2026000001" in page and f"Règlement n° {payment.pk}" in page
    assert "Reste à payer : 5,00\u00a0€" in page and "payée en partie" in page
    assert "restant dû rappelé" in page and "agent.test" in page
    assert "07/10, 14/10" in page
    credit = text(staff_client.get(reverse("backoffice:invoice", args=[note.pk])))
    assert "Avoir n° ENFAV2026000001" in credit and "la facture n° ENF2026000002" in credit
    # Drafts belong to their run; other ids are a 404.
    draft = Invoice.objects.create(regie=regie, family=family, first_day=D(2026, 11, 1), last_day=D(2026, 11, 30))
    assert staff_client.get(reverse("backoffice:invoice", args=[draft.pk])).status_code == 404


def test_the_statement_runs_the_balance_down_to_the_ledgers(world, staff_client):
    regie, family = world["regie"], world["family"]
    payment = _pay(world, "30.00")
    payments.reverse(payment, reason="Erreur de foyer")
    _pay(world, "4.00")
    page = text(staff_client.get(reverse("backoffice:family_statement", args=[family.pk, regie.pk])))
    assert "Facture n° ENF2026000001" in page and f"Annulation du règlement n° {payment.pk}" in page
    assert "Erreur de foyer" in page
    assert ledger.balance(regie, family) == Decimal("20.00")
    assert "le foyer doit 20,00\u00a0€" in page


# --- the household page ---------------------------------------------------------------------------------------

def test_the_household_page_shows_its_account_per_regie(world, staff_client, staff):
    regie, family = world["regie"], world["family"]
    payment = _pay(world, "4.00")
    reminders.send(regie, family, [world["old"]], staff)
    page = text(staff_client.get(reverse("backoffice:family", args=[family.pk])))
    assert "Compte du foyer" in page and "Régie de l'enfance" in page and "doit 20,00\u00a0€" in page
    assert "ENF2026000001" in page and "ENF2026000002" in page and "échue" in page
    assert f"Règlement n° {payment.pk}" in page and "Relances envoyées" in page
    assert reverse("backoffice:payment_new", args=[family.pk]) in page
    assert reverse("backoffice:family_statement", args=[family.pk, regie.pk]) in page
    # A credit is said so.
    _pay(world, "30.00")
    assert "crédit de 10,00\u00a0€" in text(staff_client.get(reverse("backoffice:family", args=[family.pk])))


def test_the_account_card_costs_the_same_queries_however_long_the_history(world, staff_client, staff):
    small, _login, _kids = make_household("Petit", children=1)
    big = world["family"]
    for i in range(6):
        issue(world["regie"], big, "5.00", number=f"ENF2026001{i:03d}", unit=world["unit"])
        _pay(world, "1.00")
    other = make_regie("Régie des sports", "SPO")
    issue(other, big, "5.00", number="SPO2026000001")
    url_small = reverse("backoffice:family", args=[small.pk])
    url_big = reverse("backoffice:family", args=[big.pk])
    staff_client.get(url_small)
    assert count_queries(lambda: staff_client.get(url_small)) == count_queries(lambda: staff_client.get(url_big))


def test_a_leader_sees_no_money_on_the_household_page(world, staff_client, leader, monkeypatch):
    family = world["family"]
    _post_payment(staff_client, family, regie=world["regie"])
    monkeypatch.setattr(access, "leader_families", lambda user: Family.objects.filter(pk=family.pk))
    client = client_for(leader)
    for url in (reverse("backoffice:family", args=[family.pk]), reverse("backoffice:family_history", args=[family.pk])):
        page = text(client.get(url))
        assert "Compte du foyer" not in page and "30,00" not in page and "0001234" not in page, url
        assert "ENF2026000001" not in page, url
    for name, args in (("backoffice:balances", []), ("backoffice:overdue", []),
                       ("backoffice:invoice", [world["old"].pk]),
                       ("backoffice:payment", [Payment.objects.get().pk])):
        assert client.get(reverse(name, args=args)).status_code == 403


# --- every household's balance --------------------------------------------------------------------------------

def _households_with_balances(regie, n, tag):
    """n households: even ones owe 10,00 €, odd ones have a credit of 2,50 €."""
    for i in range(n):
        family, _login, _kids = make_household(f"Solde{tag}{i}", children=0, complete=False)
        if i % 2 == 0:
            issue(regie, family, "10.00", number=f"ENF{tag}{i:06d}")
        else:
            Payment.objects.create(regie=regie, family=family, means="cash", amount=Decimal("2.50"),
                                   received_on=timezone.localdate())


def test_the_balances_page_lists_non_zero_balances_with_totals(world, staff_client):
    regie = world["regie"]
    _pay(world, "24.00")  # alice's household: settled, not listed
    page = staff_client.get(reverse("backoffice:balances"))
    assert page.context["totals"] == {"count": 1, "owed": Decimal("30.00"), "credit": Decimal("0.00")}
    _households_with_balances(regie, 4, "A")
    other = make_regie("Régie des sports", "SPO")
    issue(other, world["family"], "7.00", number="SPO2026000001")
    response = staff_client.get(reverse("backoffice:balances"))
    totals = response.context["totals"]
    assert totals == {"count": 6, "owed": Decimal("57.00"), "credit": Decimal("5.00")}
    rows = list(response.context["page"].object_list)
    assert [r.balance for r in rows] == [Decimal("30.00"), Decimal("10.00"), Decimal("10.00"), Decimal("7.00"),
                                         Decimal("-2.50"), Decimal("-2.50")]
    body = text(response)
    assert "57,00\u00a0€" in body and "5,00\u00a0€" in body and rows[0].family.display_name in body
    by_credit = staff_client.get(reverse("backoffice:balances"), {"order": "credit", "sign": "credit"})
    assert [r.balance for r in by_credit.context["page"].object_list] == [Decimal("-2.50"), Decimal("-2.50")]
    one = staff_client.get(reverse("backoffice:balances"), {"regie": other.pk})
    assert [r.regie for r in one.context["page"].object_list] == [other]
    assert one.context["totals"]["count"] == 1
    # A filter that is no choice is ignored, never an error.
    assert staff_client.get(reverse("backoffice:balances"), {"regie": "x", "order": "1;drop"}).status_code == 200


def test_the_balances_page_pages_in_a_fixed_number_of_queries(world, staff_client, django_assert_num_queries):
    regie = world["regie"]
    url = reverse("backoffice:balances")
    staff_client.get(url)
    # The user, the régies of the filter, the totals and count, the page's rows, its households and their
    # guardians, the menu's three counts (and the session): whatever the number of households.
    expected = 9 + session_queries()
    with django_assert_num_queries(expected):
        staff_client.get(url)
    _households_with_balances(regie, 60, "B")
    with django_assert_num_queries(expected):
        response = staff_client.get(url)
    assert response.context["totals"]["count"] == 62 and len(response.context["page"].object_list) == 50
    with django_assert_num_queries(expected):
        response = staff_client.get(url, {"page": 2})
    assert len(response.context["page"].object_list) == 12


# --- overdue invoices and reminders ---------------------------------------------------------------------------

def test_the_overdue_list_is_oldest_first_with_its_reminders(world, staff_client, staff):
    regie, family, old = world["regie"], world["family"], world["old"]
    issue(regie, family, "8.00", number="ENF2026000009", issued_days_ago=2, due_days_ago=-28)  # not due yet
    payments.record(regie=regie, family=world["bobs"].family, means="cash", amount=Decimal("30.00"),
                    received_on=timezone.localdate())  # bob's is paid
    reminders.send(regie, family, [old], staff)
    response = staff_client.get(reverse("backoffice:overdue"))
    listed = list(response.context["page"].object_list)
    assert [i.number for i in listed] == ["ENF2026000001", "ENF2026000002"]
    assert listed[0].reminder_count == 1 and listed[0].last_reminder_at is not None
    assert listed[1].reminder_count == 0 and listed[0].left == Decimal("14.00")
    body = text(response)
    assert "1 relance, le " in body and "relancée aujourd'hui" in body


def test_reminders_are_sent_from_the_list_once_a_day(world, staff_client, staff, django_capture_on_commit_callbacks):
    old, recent = world["old"], world["recent"]
    url = reverse("backoffice:overdue")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"action": "selected", "invoices": [old.pk, recent.pk],
                                                "confirm": "1"}, follow=True)
    reminder = Reminder.objects.get()
    assert set(reminder.invoices.all()) == {old, recent} and reminder.amount == Decimal("24.00")
    assert "1 relance enregistrée et envoyée par courriel." in text(response)
    email = OutgoingEmail.objects.get(template="billing/email/reminder.txt")
    assert "ENF2026000001" in email.text_body and "24,00\u00a0€" in email.text_body
    # The double submit: politely refused, nothing sent again.
    again = staff_client.post(url, {"action": "selected", "invoices": [old.pk, recent.pk],
                                                "confirm": "1"}, follow=True)
    assert "a déjà été relancé aujourd'hui" in text(again)
    assert Reminder.objects.count() == 1 and OutgoingEmail.objects.filter(template="billing/email/reminder.txt").count() == 1
    assert AuditEntry.objects.filter(object_type="reminder").count() == 1


def test_every_invoice_of_the_page_is_reminded_by_household(world, staff_client, bob):
    url = reverse("backoffice:overdue")
    ids = [world["old"].pk, world["recent"].pk, world["bobs"].pk]
    response = staff_client.post(url, {"action": "page", "page_invoices": ids, "confirm": "1"}, follow=True)
    assert response.status_code == 200
    assert sorted(Reminder.objects.values_list("family_id", flat=True)) == sorted([world["family"].pk, bob.family.pk])
    assert Reminder.objects.get(family=world["family"]).invoices.count() == 2


def test_a_reminder_post_with_nothing_or_foreign_values_is_refused_politely(world, staff_client):
    url = reverse("backoffice:overdue")
    for data in ({}, {"invoices": ["x", "9" * 40]}, {"invoices": [987654321]}):
        response = staff_client.post(url, {**data, "confirm": "1"}, follow=True)
        assert response.status_code == 200 and 'role="status"' in response.content.decode()
    assert not Reminder.objects.exists()
    # An invoice not overdue is never reminded, even posted.
    future = issue(world["regie"], world["family"], "8.00", number="ENF2026000009", due_days_ago=-5)
    staff_client.post(url, {"invoices": [future.pk], "confirm": "1"})
    assert not Reminder.objects.exists()


def test_the_money_forms_resist_hostile_values(world, client, admin_user):
    """tests/test_hostile_input.py's values on every form of these pages: never a 500, always a message."""
    from tests.test_hostile_input import HOSTILE, FormParser, submit_all

    payment = _pay(world, "4.00")
    family = world["family"]
    client.force_login(admin_user)
    pages = []
    for url in (reverse("backoffice:payment_new", args=[family.pk]),
                reverse("backoffice:payment_reverse", args=[payment.pk]), reverse("backoffice:overdue"),
                reverse("backoffice:balances"), reverse("backoffice:invoice", args=[world["old"].pk]),
                reverse("backoffice:family_statement", args=[family.pk, world["regie"].pk]),
                reverse("backoffice:payment", args=[payment.pk])):
        parser = FormParser()
        parser.feed(client.get(url).content.decode())
        pages.append((url, parser.forms))
    assert submit_all(client, pages) >= 3 * len(HOSTILE)
    assert Payment.objects.count() == 1 and not Reminder.objects.exists()


def test_the_overdue_list_costs_the_same_queries_however_many_invoices(world, staff_client, staff):
    url = reverse("backoffice:overdue")
    staff_client.get(url)
    few = count_queries(lambda: staff_client.get(url))
    for i in range(8):
        family, _login, _kids = make_household(f"Retard{i}", children=0, complete=False)
        invoice = issue(world["regie"], family, "9.00", number=f"ENF2026002{i:03d}")
        reminders.send(world["regie"], family, [invoice], staff)
    assert count_queries(lambda: staff_client.get(url)) == few


def test_an_amount_with_a_point_is_understood_too(world, staff_client):
    _post_payment(staff_client, world["family"], regie=world["regie"], amount="12.50", means="cash", reference="")
    assert Payment.objects.get().amount == Decimal("12.50")


# --- the printed receipt ----------------------------------------------------------------------------------------

def test_the_receipt_names_its_issuer_is_signed_and_says_what_was_left_when_it_was_handed_over(world, staff_client):
    regie, family, old, recent = world["regie"], world["family"], world["old"], world["recent"]
    first = _pay(world, "20.00")  # 14,00 settles the old one, 6,00 of the recent one: 4,00 left on it
    receipt = staff_client.get(reverse("backoffice:payment", args=[first.pk])).content.decode()
    # The issuer heads the page, before the receipt's title; the software's name is not printed.
    assert receipt.index("Mairie de Tourrettes") < receipt.index("<h1>")
    assert "Place de l&#x27;Église, 83440 Tourrettes" in receipt
    assert '<span class="no-print">Enfance · gestion</span>' in receipt
    assert "Pour acquit, le régisseur" in receipt and "Nom et signature" in receipt
    assert "Reste à payer à la date du reçu" in receipt
    # Later, the rest is paid and a credit note is issued: the reprint still says what the receipt said.
    _pay(world, "4.00")
    issue(regie, family, "1.00", number="ENFAV2026000001", kind=Invoice.Kind.CREDIT_NOTE, corrects=old,
          issued_days_ago=0)
    page = staff_client.get(reverse("backoffice:payment", args=[first.pk]))
    rows = {a.invoice_id: a for a in page.context["allocations"]}
    assert rows[old.pk].left_then == Decimal("0.00") and rows[recent.pk].left_then == Decimal("4.00")
    assert rows[recent.pk].left == Decimal("0.00")  # today's, on the screen only
    reprint = text(page)
    assert "4,00\u00a0€" in reprint


def test_the_payment_form_leaves_its_checks_to_the_server_and_its_french_messages(world, staff_client):
    """The browser's own bubbles (required, a maximum date) would hide the messages next to the fields."""
    page = staff_client.get(reverse("backoffice:payment_new", args=[world["family"].pk])).content.decode()
    forms = [tag for tag in page.split("<form")[1:] if 'method="post"' in tag.split(">")[0]]
    assert any("novalidate" in tag.split(">")[0] and "csrfmiddlewaretoken" in tag and 'name="amount"' in tag
               for tag in forms)


def test_reminders_wait_for_a_confirmation_listing_who_gets_what(world, staff_client, bob,
                                                                 django_capture_on_commit_callbacks):
    """Without JavaScript: the first post only shows the households and invoices; its button posts the same
    selection with confirm=1, and only that sends."""
    url = reverse("backoffice:overdue")
    old, recent, bobs = world["old"], world["recent"], world["bobs"]
    bob.family.logins.update(email="")  # bob's household gets its reminder on paper
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"action": "page", "page_invoices": [old.pk, recent.pk, bobs.pk],
                                           "back_page": "1"})
    assert response.status_code == 200
    assert not Reminder.objects.exists() and not OutgoingEmail.objects.filter(template="billing/email/reminder.txt")
    page = text(response)
    assert "Confirmer les relances" in page and "2 foyers vont être relancés, dont 1 par courriel" in page
    assert "ENF2026000001" in page and "ENF2026000002" in page and "ENF2026000003" in page
    assert world["family"].reference in page and bob.family.reference in page
    assert "csrfmiddlewaretoken" in page and 'name="confirm" value="1"' in page
    assert 'name="action" value="page"' in page and page.count('name="page_invoices"') == 3
    assert 'name="back_page" value="1"' in page
    # The button re-posts the selection with confirm=1: now it is sent.
    with django_capture_on_commit_callbacks(execute=True):
        sent = staff_client.post(url, {"action": "page", "page_invoices": [old.pk, recent.pk, bobs.pk],
                                       "back_page": "1", "confirm": "1"})
    assert sent.status_code == 302 and sent["Location"] == reverse("backoffice:overdue") + "?page=1"
    assert Reminder.objects.count() == 2
    assert OutgoingEmail.objects.filter(template="billing/email/reminder.txt").count() >= 1
    # Asked again the same day: the confirmation says nothing new will be sent, and offers no button.
    again = text(staff_client.post(url, {"action": "selected", "invoices": [old.pk]}))
    assert "déjà été relancées aujourd&#x27;hui" in again or "déjà été relancées aujourd'hui" in again
    assert "Envoyer la relance" not in again and Reminder.objects.count() == 2
