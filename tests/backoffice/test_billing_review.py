# ruff: noqa: F811  (the `world` fixture is imported from test_billing_runs, then named by the tests)
"""The staff billing pages after the usability review: the issue and the abandon confirmed on a page of their
own (no JavaScript), the new run's period after the last one issued with a warning for days to come, the
anomalies grouped, the drafts' total row, the balances on a phone, real French plurals and "1er"."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from enfance.billing import runs
from enfance.billing.models import Invoice, InvoiceRun
from enfance.core.models import AuditEntry
from tests.activities.test_bookings import household

from .conftest import client_for
from .test_billing_runs import DECEMBER, booked, households, start, text, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def agent_client(staff):
    return client_for(staff)


def words_of(response):
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", text(response)))


# --- 1. the issue and the abandon are confirmed first ------------------------------------------------------

def test_the_run_page_links_to_a_confirmation_which_says_what_the_issue_will_do(
        world, agent_client, django_capture_on_commit_callbacks):
    regie, whole, _half = world
    households(whole, 2)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk])))
    confirm = reverse("backoffice:run_issue", args=[run.pk])
    # A link, not a form posting at once.
    assert f'href="{confirm}"' in page and f'action="{confirm}"' not in page
    response = agent_client.get(confirm)
    assert response.status_code == 200
    shown = words_of(response)
    assert InvoiceRun.objects.get(pk=run.pk).state == "previewed"  # GET changes nothing
    assert "Régie enfance" in shown and "du 1er au 31 décembre 2026" in shown
    assert "2 factures, 30,60" in shown  # two households × 3 × 5,10
    year = timezone.localdate().year
    assert f"numérotées à partir de CANT{year}000001" in shown
    assert "Cette action est définitive : les factures émises ne peuvent plus être modifiées, seulement " \
           "corrigées par un avoir." in shown
    body = response.content.decode()
    assert f'<form method="post" action="{confirm}"' in body and "csrfmiddlewaretoken" in body
    assert "Émettre définitivement les 2 factures" in shown
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(confirm)
    assert response.status_code == 302 and InvoiceRun.objects.get(pk=run.pk).state == "issued"
    # Clicked twice (or the confirmation opened again): said, not an error, nothing issued twice.
    response = agent_client.post(confirm, follow=True)
    assert "Cette facturation est déjà émise." in text(response) and "message-info" in text(response)
    assert agent_client.get(confirm, follow=True).redirect_chain[-1][0] == reverse("backoffice:run", args=[run.pk])
    assert Invoice.objects.filter(run=run, state="issued").count() == 2


def test_a_second_click_before_the_worker_starts_enqueues_the_issue_once(
        world, agent_client, django_capture_on_commit_callbacks, monkeypatch):
    from enfance.billing import admin_services

    regie, whole, _half = world
    households(whole, 1)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    enqueued = []  # the worker does not start: the task stays in the queue
    monkeypatch.setattr(admin_services, "_enqueue", lambda task, run_id: enqueued.append(run_id))
    url = reverse("backoffice:run_issue", args=[run.pk])
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, follow=True)
    assert enqueued == [run.pk]
    assert "déjà demandée" in text(response)
    # Refused by the worker meanwhile (a booking changed): asking again is possible.
    InvoiceRun.objects.filter(pk=run.pk).update(error="Des réservations ont changé.")
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url)
    assert enqueued == [run.pk, run.pk]


def test_the_issue_needs_a_post_with_its_csrf_token(world, staff, django_capture_on_commit_callbacks):
    from django.test import Client

    from tests.conftest import login_client

    regie, whole, _half = world
    households(whole, 1)
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=timezone.make_aware(datetime.datetime(2027, 1, 5, 9)))
    guarded = login_client(Client(enforce_csrf_checks=True), staff)
    assert guarded.post(reverse("backoffice:run_issue", args=[run.pk])).status_code == 403
    assert guarded.post(reverse("backoffice:run_discard", args=[run.pk])).status_code == 403
    assert InvoiceRun.objects.get(pk=run.pk).state == "previewed"


def test_abandoning_is_confirmed_first_and_twice_says_already(world, agent_client,
                                                              django_capture_on_commit_callbacks):
    regie, whole, _half = world
    households(whole, 1)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    url = reverse("backoffice:run_discard", args=[run.pk])
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk])))
    assert f'href="{url}"' in page and f'action="{url}"' not in page
    response = agent_client.get(url)
    shown = words_of(response)
    assert "Abandonner cette facturation ?" in shown and "1 facture, 15,30" in shown
    assert "Aucune facture n'est émise" in shown and f'action="{url}"' in response.content.decode()
    assert InvoiceRun.objects.get(pk=run.pk).state == "previewed"
    assert "Facturation abandonnée" in text(agent_client.post(url, follow=True))
    response = agent_client.post(url, follow=True)
    assert "Cette facturation est déjà abandonnée." in text(response) and "message-error" not in text(response)
    assert AuditEntry.objects.filter(object_type="invoicerun", note="Facturation abandonnée.").count() == 1


# --- 2. the period proposed, and days still to come ------------------------------------------------------

def test_the_new_run_proposes_the_month_after_the_last_one_issued(world, agent_client):
    regie, _whole, _half = world
    InvoiceRun.objects.create(regie=regie, first_day=D(2026, 10, 1), last_day=D(2026, 10, 31), state="issued")
    InvoiceRun.objects.create(regie=regie, first_day=D(2026, 11, 1), last_day=D(2026, 11, 30), state="discarded")
    page = text(agent_client.get(reverse("backoffice:run_new"), {"regie": regie.pk}))
    assert 'value="2026-11-01"' in page and 'value="2026-11-30"' in page
    assert "Régie enfance jusqu'au 31 octobre 2026" in page
    # Without ?regie=, the form's first (and here only) régie.
    assert 'value="2026-11-01"' in text(agent_client.get(reverse("backoffice:run_new")))
    # A run ending mid-month: the rest of that month.
    InvoiceRun.objects.create(regie=regie, first_day=D(2026, 11, 1), last_day=D(2026, 11, 15), state="issued")
    page = text(agent_client.get(reverse("backoffice:run_new"), {"regie": regie.pk}))
    assert 'value="2026-11-16"' in page and 'value="2026-11-30"' in page


def test_a_period_with_days_to_come_is_warned_not_refused(world, agent_client, django_capture_on_commit_callbacks):
    regie, _whole, _half = world
    today = timezone.localdate()
    first = today.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    InvoiceRun.objects.create(regie=regie, first_day=first - datetime.timedelta(days=1),
                              last_day=first - datetime.timedelta(days=1), state="issued")
    page = words_of(agent_client.get(reverse("backoffice:run_new"), {"regie": regie.pk}))
    assert "des jours qui ne sont pas encore passés" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reverse("backoffice:run_new"), {
            "regie": regie.pk, "first_day": first.isoformat(), "last_day": last.isoformat()}, follow=True)
    run = InvoiceRun.objects.get(first_day=first, last_day=last)
    assert response.redirect_chain[-1][0] == reverse("backoffice:run", args=[run.pk])
    shown = words_of(response)
    assert "message-warning" in text(response) and "peuvent encore changer" in shown
    # Still said on the run page and on the confirmation.
    assert "pas encore passés" in words_of(agent_client.get(reverse("backoffice:run", args=[run.pk])))
    assert "pas encore passés" in words_of(agent_client.get(reverse("backoffice:run_issue", args=[run.pk])))


# --- 3. anomalies, grouped and naming the child --------------------------------------------------------------

def test_the_run_page_lists_an_anomaly_once_with_the_child_and_its_days(world, agent_client,
                                                                     django_capture_on_commit_callbacks):
    from enfance.activities.models import Attendance

    regie, whole, _half = world
    family, (child,) = household()
    child.first_name, child.last_name = "Léa", "Martin"
    child.save(update_fields=["first_name", "last_name"])
    for day in (D(2026, 12, 2), D(2026, 12, 9), D(2026, 12, 16)):
        booking = booked(family, child, whole, day)
        Attendance.objects.create(child=child, unit=whole, day=day, booking=booking, status="absent")
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    shown = words_of(agent_client.get(reverse("backoffice:run", args=[run.pk])))
    assert shown.count("pointé absent") == 1
    assert f"Foyer {family.reference} – Léa Martin , {whole.activity.name} – {whole.name} : Réservé et pointé " \
           "absent sans absence signalée les 2, 9 et 16 décembre 2026 : facturés." in shown
    assert "Pas de quotient familial connu les 2, 9 et 16 décembre 2026" in shown


# --- 4. the drafts' totals -----------------------------------------------------------------------------------

def test_the_drafts_table_ends_with_the_totals_the_issue_will_produce(world, agent_client,
                                                                     django_capture_on_commit_callbacks):
    regie, whole, _half = world
    made = households(whole, 3)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk]), {"page": 1}))
    tfoot = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    assert "Total : 3 factures" in tfoot and "45,90" in tfoot  # 3 × 3 × 5,10
    # The households found by their reference: their own total.
    found = text(agent_client.get(reverse("backoffice:run", args=[run.pk]), {"q": made[0][0].reference}))
    tfoot = re.search(r"<tfoot>(.*?)</tfoot>", found, re.S).group(1)
    assert "1 facture des foyers trouvés" in tfoot and "15,30" in tfoot
    # What the issue produced is what the total said.
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("backoffice:run_issue", args=[run.pk]))
    issued = Invoice.objects.filter(run=run, state="issued")
    assert issued.count() == 3 and sum(i.total for i in issued) == Decimal("45.90")


def test_the_drafts_total_counts_every_page(world, agent_client, django_capture_on_commit_callbacks, monkeypatch):
    from enfance.core import pagination

    regie, whole, _half = world
    households(whole, 3)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    real = pagination.paginate
    monkeypatch.setattr("enfance.backoffice.views.billing.paginate", lambda request, items, per_page=2: real(
        request, items, 2))
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk])))
    assert "Total : 3 factures" in page and "45,90" in page and "toutes les pages" in page


# --- 5. the balances on a phone ------------------------------------------------------------------------------

def test_a_credit_row_shows_no_empty_debt_cell_on_a_phone(agent_client):
    from enfance.billing.models import Payment, Regie

    regie = Regie.objects.create(name="Régie enfance", code="CANT")
    family, _ = household()
    Payment.objects.create(regie=regie, family=family, means="cash", amount=Decimal("12.00"),
                           received_on=D(2026, 11, 2))
    page = agent_client.get(reverse("backoffice:balances")).content.decode()
    row = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    empty = re.findall(r"<td([^>]*)></td>", row)
    assert empty, "a credit's row has no debt"
    # Every empty cell is one the phone layout hides, and the page loads the rule that hides it.
    assert all('class="num optional"' in attrs for attrs in empty)
    assert "backoffice/billing.css" in page
    css = Path(settings.BASE_DIR, "enfance/backoffice/static/backoffice/billing.css").read_text()
    phone = css[css.index("@media screen and (max-width: 40rem)"):]
    assert "table.stack td.optional:empty" in phone[:phone.index("}\n}") + 1]


# --- 7. French -------------------------------------------------------------------------------------------

def test_reminders_sent_say_their_number_with_real_plurals():
    from enfance.backoffice.views.payments import reminders_sent_text

    assert reminders_sent_text(1, 1) == "1 relance enregistrée et envoyée par courriel."
    assert reminders_sent_text(3, 3) == "3 relances enregistrées et envoyées par courriel."
    assert reminders_sent_text(3, 1) == "3 relances enregistrées, dont 1 envoyée par courriel."
    assert reminders_sent_text(3, 2) == "3 relances enregistrées, dont 2 envoyées par courriel."
    assert reminders_sent_text(2, 0) == "2 relances enregistrées, à envoyer par courrier."
    assert "(s)" not in "".join(reminders_sent_text(n, m) for n in range(1, 4) for m in range(n + 1))


def test_a_credit_note_is_masculine_on_its_pages(world, agent_client, django_capture_on_commit_callbacks):
    regie, whole, _half = world
    ((family, child),) = households(whole, 1)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("backoffice:run_issue", args=[run.pk]))
    invoice = Invoice.objects.get(run=run)
    from enfance.activities.models import Booking

    Booking.objects.filter(family=family, day=D(2026, 12, 2)).update(state="cancelled")
    again = start(agent_client, regie, django_capture_on_commit_callbacks, period=(D(2027, 1, 1), D(2027, 1, 31)))
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("backoffice:run_issue", args=[again.pk]))
    note = Invoice.objects.get(run=again, kind="credit_note", state="issued")
    assert note.corrects == invoice
    page = words_of(agent_client.get(reverse("backoffice:invoice", args=[note.pk])))
    assert "Émis le" in page and "Émise le" not in page
    draft_page = words_of(agent_client.get(reverse("backoffice:run_draft", args=[again.pk, note.pk])))
    assert "émis le" in draft_page and "émise le" not in draft_page
    assert "n'est plus dû : le 2 décembre 2026" in page
    assert "Émise le" in words_of(agent_client.get(reverse("backoffice:invoice", args=[invoice.pk])))
