"""Reminders of overdue invoices: the household's e-mail (plain text, amounts and numbers, the régie's address and
hours, apostrophes intact), the Reminder kept on its record, at most once a day for the same invoices, only for
what is overdue and still due, only for the household's own invoices."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from enfance.billing import payments, reminders
from enfance.billing.models import Invoice, InvoiceLine, Regie, Reminder
from enfance.core.models import AuditEntry, OutgoingEmail
from enfance.core.templatetags.enfance import day_month
from enfance.messaging import notifications
from tests.activities.test_bookings import centre
from tests.factories import make_household

pytestmark = pytest.mark.django_db
D = datetime.date


def make_regie(name="Régie de l'enfance", code="ENF"):
    return Regie.objects.create(name=name, code=code, address="Place de l'Église, 83440 Tourrettes",
                                hours="Lundi et jeudi de 8 h 30 à 12 h")


def issue(regie, family, total, *, number, issued_days_ago=45, due_days_ago=15, kind=Invoice.Kind.INVOICE,
          corrects=None, unit=None, previous_balance="0.00"):
    """An issued invoice (or credit note) of one line, made directly: these tests are about what follows."""
    now = timezone.now()
    issued_at = now - datetime.timedelta(days=issued_days_ago)
    invoice = Invoice.objects.create(
        regie=regie, family=family, kind=kind, state=Invoice.State.ISSUED, number=number, issued_at=issued_at,
        first_day=D(2026, 10, 1), last_day=D(2026, 10, 31), total=Decimal(total), corrects=corrects,
        previous_balance=Decimal(previous_balance),
        due_on=(timezone.localdate() - datetime.timedelta(days=due_days_ago)) if kind == Invoice.Kind.INVOICE else None,
        billed_to={"reference": family.reference, "name": family.display_name, "address": family.full_address})
    if unit is not None:
        child = family.children.order_by("pk").first()
        InvoiceLine.objects.create(
            invoice=invoice, child=child, unit=unit, kind=InvoiceLine.Kind.CREDIT if corrects else InvoiceLine.Kind.BOOKED,
            label=f"{child.first_name} – {unit.activity.name} – {unit.name}", days=["2026-10-07", "2026-10-14"],
            quantity=2, unit_price=Decimal(total) / 2, amount=Decimal(total),
            rule="Tranche 2 (QF 620) : 7,00 € la journée", corrects=corrects,
            credits_kind=InvoiceLine.Kind.BOOKED if corrects else "")
    return invoice


@pytest.fixture
def world(db):
    family, login, _children = make_household("Almeida", children=1)
    family.guardians.filter(rank=1).update(last_name="D'Almeida")
    regie = make_regie()
    whole, _half, _meal = centre()
    old = issue(regie, family, "14.00", number="ENF2026000001", issued_days_ago=75, due_days_ago=45, unit=whole)
    recent = issue(regie, family, "10.00", number="ENF2026000002", unit=whole)
    return regie, family, login, old, recent


def emails():
    return list(OutgoingEmail.objects.filter(template="billing/email/reminder.txt"))


def test_the_reminder_kind_is_registered_and_on_by_default(world):
    _regie, _family, login, _old, _recent = world
    assert notifications.KINDS["reminder"].template == "billing/email/reminder.txt"
    assert notifications.preferences(login)["reminder"] is True


def test_a_reminder_tells_the_household_and_stays_on_its_record(world, staff):
    regie, family, login, old, recent = world
    payments.record(regie=regie, family=family, means="cash", amount=Decimal("4.00"), received_on=D(2026, 11, 2))
    reminder = reminders.send(regie, family, [old, recent], staff)
    assert reminder.amount == Decimal("20.00") and reminder.emails == 1
    assert set(reminder.invoices.all()) == {old, recent} and reminder.sent_by == staff
    assert Reminder.objects.get().family == family
    (email,) = emails()
    assert email.to == login.email
    body = email.text_body
    # Plain text: no HTML escaping of the apostrophes of the régie, its address or the household's name.
    assert "&#x27;" not in body and "&amp;" not in body and "&#39;" not in body
    assert "Bonjour Claire D'Almeida," in body
    assert "régie « Régie de l'enfance »" in body
    assert "Place de l'Église, 83440 Tourrettes" in body and "Lundi et jeudi de 8 h 30 à 12 h" in body
    assert "ENF2026000001" in body and "ENF2026000002" in body
    assert "reste à payer : 10,00\u00a0€" in body  # the older one, 14,00 less the 4,00 paid
    assert "Total restant à payer : 20,00\u00a0€." in body
    # Overdue: "échue depuis le", never "à payer avant" a date gone by; French dates ("1er").
    assert f"échue depuis le {day_month(old.due_on, 'Y')} ; reste à payer" in body
    assert "à payer avant le" not in body and " 1 " not in body
    assert email.subject == "Relance : 2 factures restent à régler"
    assert "&#x27;" not in email.subject
    entry = AuditEntry.objects.get(object_type="reminder")
    assert entry.family == family and entry.actor == staff and "ENF2026000001" in entry.object_repr


def test_the_same_invoices_are_reminded_once_a_day(world, staff):
    regie, family, _login, old, recent = world
    reminders.send(regie, family, [old], staff)
    with pytest.raises(reminders.ReminderRefused, match="déjà été relancé aujourd'hui"):
        reminders.send(regie, family, [old], staff)
    assert Reminder.objects.count() == 1 and len(emails()) == 1
    # A new invoice chosen with it: only the new one is reminded.
    second = reminders.send(regie, family, [old, recent], staff)
    assert list(second.invoices.all()) == [recent] and second.amount == Decimal("10.00")
    # The next day, the same invoices again.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    Reminder.objects.update(sent_at=timezone.now() - datetime.timedelta(days=1))
    third = reminders.send(regie, family, [old, recent], staff, today=tomorrow)
    assert third.invoices.count() == 2 and Reminder.objects.count() == 3


def test_only_overdue_invoices_still_due_are_reminded(world, staff):
    regie, family, _login, old, recent = world
    not_due = issue(regie, family, "8.00", number="ENF2026000003", issued_days_ago=2, due_days_ago=-28)
    payments.record(regie=regie, family=family, means="cash", amount=Decimal("14.00"), received_on=D(2026, 11, 2),
                    invoice_ids=[old.pk])
    reminder = reminders.send(regie, family, [old, recent, not_due], staff)
    assert list(reminder.invoices.all()) == [recent]
    with pytest.raises(reminders.ReminderRefused, match="réglées ou pas encore échues"):
        reminders.send(regie, family, [old, not_due], staff)


def test_a_credit_note_settles_what_it_corrects(world, staff):
    regie, family, _login, old, _recent = world
    issue(regie, family, "14.00", number="ENFAV2026000001", kind=Invoice.Kind.CREDIT_NOTE, corrects=old)
    with pytest.raises(reminders.ReminderRefused):
        reminders.send(regie, family, [old], staff)


def test_another_households_invoice_is_refused(world, staff, bob):
    regie, family, _login, old, _recent = world
    with pytest.raises(reminders.ReminderRefused, match="pas une facture émise de ce foyer"):
        reminders.send(regie, bob.family, [old], staff)
    other = make_regie("Autre régie", "AUT")
    with pytest.raises(reminders.ReminderRefused):
        reminders.send(other, family, [old], staff)
    with pytest.raises(reminders.ReminderRefused, match="au moins une facture"):
        reminders.send(regie, family, [], staff)
    assert not Reminder.objects.exists() and not emails()


def test_a_reminder_is_always_e_mailed_and_offers_no_unsubscribing(world, staff, client):
    # A household that had turned reminders off heard of its unpaid invoice from the treasury's recovery first.
    from django.urls import reverse

    from enfance.messaging.models import NotificationPreference

    regie, family, login, old, _recent = world
    with pytest.raises(KeyError):
        notifications.set_preference(login, "reminder", False)
    NotificationPreference.objects.create(user=login, kind="reminder", email=False)  # chosen before
    reminder = reminders.send(regie, family, [old], staff)
    (email,) = emails()
    assert reminder.emails == 1 and not email.unsubscribe_url and "desabonnement" not in email.text_body
    client.force_login(login)
    page = client.get(reverse("portal:preferences")).content.decode()
    assert 'name="reminder"' not in page and "Toujours envoyés par courriel" in page
    old_link = reverse("public:optout", args=[notifications.optout_token(login, "reminder")])
    client.logout()
    assert "toujours envoyés" in client.get(old_link).content.decode()
    client.post(old_link)
    assert notifications.preferences(login)["reminder"] is True


def test_the_e_mail_leaves_the_desk_out_when_the_regie_has_no_address(world, staff):
    regie, family, _login, old, _recent = world
    Regie.objects.filter(pk=regie.pk).update(address="", hours="")
    regie.refresh_from_db()
    reminders.send(regie, family, [old], staff)
    (email,) = emails()
    assert "ou à la régie" not in email.text_body and "Horaires" not in email.text_body
    assert "Relance : une facture reste à régler" == email.subject


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_reminding_at_once_send_one_reminder():
    from django.db import connection

    from tests.changes.test_concurrency import run_together
    from tests.factories import UserFactory

    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")
    family, _login, _children = make_household("Concurrent", children=1)
    regie = make_regie()
    invoice = issue(regie, family, "12.00", number="ENF2026000042")
    agents = [UserFactory(role="agent"), UserFactory(role="agent")]
    results = run_together(*(lambda agent=agent: reminders.send(regie, family, [invoice.pk], agent)
                             for agent in agents))
    assert sorted(type(r).__name__ for r in results) == ["Reminder", "ReminderRefused"], results
    assert Reminder.objects.count() == 1 and len(emails()) == 1
