"""Issue's billing journey in the browser: staff run last month's billing and watch its progress, then issue it;
the family, on a phone, opens the invoice, downloads its PDF and reads the statement. The new pages are audited
(axe-core: no WCAG 2.1 A/AA violation at 1280 and 375 px, no sideways scrolling)."""

import datetime
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import NoReverseMatch, reverse

from enfance.activities.models import Booking
from enfance.backoffice.billing_forms import previous_month
from enfance.billing.models import Invoice, InvoiceRun, Quotient
from enfance.billing.money import euros
from tests.activities.test_bookings import centre
from tests.billing.helpers import regie_for, tariff
from tests.factories import PASSWORD, UserFactory, make_household

from .conftest import guarded_contexts
from .pages import audit, login

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def open_context(request, browser, live_server, transactional_db):
    """Guarded contexts as in conftest. On PostgreSQL the run's preview and issue go to the task worker (a thread,
    as under `make run`); on SQLite its polling transactions lock the tables under the live server's requests, so
    there the immediate backend runs them inline (the run page then shows the previewed run at once)."""
    if connection.vendor != "sqlite":
        request.getfixturevalue("task_worker")
    yield from guarded_contexts(browser, live_server)


@pytest.fixture
def world(transactional_db):
    """A leisure centre billed by a régie with a tariff, a household with a login and three days booked last
    month, an agent."""
    first, last = previous_month()
    whole, _half, _meal = centre(capacity=20)
    regie = regie_for(whole.activity)
    tariff(whole, [(500, "3.20"), (1000, "5.10"), (None, "7.00")], valid_from=first - datetime.timedelta(days=365))
    family, login_user, (child,) = make_household("Facturee", children=1)
    Quotient.objects.create(family=family, value=620, valid_from=first - datetime.timedelta(days=365),
                            source="caf")
    for day in (first, first + datetime.timedelta(days=7), first + datetime.timedelta(days=14)):
        Booking.objects.create(family=family, child=child, unit=whole, day=day, state="booked")
    agent = UserFactory(username="agent.facturation", role="agent")
    return regie, (first, last), login_user, agent


def _wait_for_state(page, run_pk, state, seconds=30):
    """The run's page once the run is in `state` (the page reloads itself on a change; reloaded here too)."""
    deadline = time.monotonic() + seconds
    while InvoiceRun.objects.get(pk=run_pk).state != state:
        assert time.monotonic() < deadline, f"the run is still {InvoiceRun.objects.get(pk=run_pk).state}"
        time.sleep(0.2)
    page.goto(f"/gestion/facturation/{run_pk}/")


def test_staff_run_and_issue_a_month_and_the_family_reads_its_invoice_pdf_and_statement(world, open_context):
    regie, (first, last), family_login, agent = world
    problems = []

    # Staff, at a desk: a new run for last month.
    staff = open_context(viewport={"width": 1280, "height": 800}).new_page()
    login(staff, agent.username, PASSWORD)
    staff.goto("/gestion/facturation/nouvelle/")
    problems += audit(staff, "new run")
    staff.select_option("#id_regie", str(regie.pk))
    staff.fill("#id_first_day", first.isoformat())
    staff.fill("#id_last_day", last.isoformat())
    with staff.expect_navigation(url="**/gestion/facturation/*/"):
        staff.get_by_role("button", name="Prévisualiser les factures").click()
    run = InvoiceRun.objects.get(regie=regie)
    assert (run.first_day, run.last_day) == (first, last)
    assert f"/gestion/facturation/{run.pk}/" in staff.url
    # The progress as the page first showed it (the preview may already be done, inline or by the worker).
    first_view = staff.content()  # one snapshot: the page reloads itself when the run changes state
    if 'id="run-bar"' in first_view:
        assert "Prévisualisation en cours" in first_view
        assert "foyers traités sur" in first_view or "En attente du traitement" in first_view
    else:
        assert "Prévisualisée" in first_view
    _wait_for_state(staff, run.pk, InvoiceRun.State.PREVIEWED)
    assert staff.locator(".lead .badge").inner_text().strip() == "Prévisualisée"
    drafts = staff.locator("section[aria-labelledby=drafts-title] tbody tr")
    assert drafts.count() == 1
    assert "brouillon" in drafts.first.inner_text()
    assert euros(Decimal("15.30")) in drafts.first.inner_text()
    problems += audit(staff, "previewed run")

    # The totals row says what the issue will produce.
    assert euros(Decimal("15.30")) in staff.locator("section[aria-labelledby=drafts-title] tfoot").inner_text()

    # Issuing is confirmed on a page of its own (no JavaScript needed), which says what will be issued.
    with staff.expect_navigation(url=f"**/gestion/facturation/{run.pk}/emettre/"):
        staff.get_by_role("link", name="Émettre les factures…").click()
    assert InvoiceRun.objects.get(pk=run.pk).state == InvoiceRun.State.PREVIEWED  # nothing done yet
    summary = staff.locator("main").inner_text()
    assert "1 facture, " + euros(Decimal("15.30")) in summary
    assert "seulement corrigées par un avoir" in summary
    problems += audit(staff, "issue confirmation")
    with staff.expect_navigation(url=f"**/gestion/facturation/{run.pk}/?emission=1"):
        staff.get_by_role("button", name="Émettre définitivement 1 facture").click()
    problems += audit(staff, "issue requested")
    _wait_for_state(staff, run.pk, InvoiceRun.State.ISSUED)
    invoice = Invoice.objects.get(run=run, state=Invoice.State.ISSUED)
    assert invoice.number and invoice.total == Decimal("15.30")
    assert staff.locator(".lead .badge").inner_text().strip() == "Émise"
    assert invoice.number in staff.locator("section[aria-labelledby=drafts-title] tbody").inner_text()
    problems += audit(staff, "issued run")
    # The balances on a staff phone: the household owes, its row shows no "Crédit" label with nothing after it.
    desk_phone = open_context(**PHONE).new_page()
    login(desk_phone, agent.username, PASSWORD)
    desk_phone.goto("/gestion/facturation/soldes/")
    cells = desk_phone.locator("table.stack tbody tr").first.locator("td")
    visible = [cells.nth(i) for i in range(cells.count()) if cells.nth(i).is_visible()]
    assert len(visible) == cells.count() - 1  # the empty "Crédit" cell is not shown
    assert all(cell.inner_text().strip() for cell in visible)
    problems += audit(desk_phone, "balances on a phone")
    # Read before the family's clicks: no query of this thread while the live server answers (SQLite).
    line = invoice.lines.get()
    try:
        pdf_url = reverse("portal:invoice_pdf", args=[invoice.pk])
    except NoReverseMatch:
        pdf_url = None  # the invoice PDF is not served yet (enfance/documents): that step waits for it

    # The family, on a phone.
    phone = open_context(**PHONE).new_page()
    login(phone, family_login.username, PASSWORD)
    if "/portail/conditions/" in phone.url:
        phone.get_by_label("J'ai lu les conditions de fonctionnement et je les accepte").check()
        with phone.expect_navigation(url="**/portail/"):
            phone.get_by_role("button", name="Valider").click()
    phone.goto("/portail/factures/")
    assert phone.get_by_role("heading", name="Mes factures", level=1).is_visible()
    problems += audit(phone, "my invoices")
    with phone.expect_navigation(url=f"**/portail/factures/{invoice.pk}/"):
        phone.get_by_role("link", name=f"Facture n° {invoice.number}").click()
    assert phone.get_by_role("heading", name=f"Facture n° {invoice.number}", level=1).is_visible()
    lines = phone.locator("section[aria-labelledby=lines-title]")
    assert line.rule and "QF 620" in line.rule
    assert line.rule in lines.locator("tbody tr").first.inner_text()
    assert euros(Decimal("15.30")) in lines.locator("tfoot").inner_text()
    problems += audit(phone, "the invoice")

    if pdf_url is not None:
        assert phone.get_by_role("link", name="Télécharger la facture en PDF").get_attribute("href") == pdf_url
        response = phone.request.get(pdf_url)  # the page's cookies: the family's session
        assert response.status == 200
        assert response.headers["content-type"].startswith("application/pdf")
        assert response.body().startswith(b"%PDF")

    phone.goto("/portail/factures/")
    with phone.expect_navigation(url="**/portail/releve/**"):
        phone.get_by_role("link", name="Relevé de compte").first.click()
    assert phone.get_by_role("link", name=f"Facture n° {invoice.number}").is_visible()
    assert euros(Decimal("15.30")) in phone.locator(".lead").inner_text()
    problems += audit(phone, "the statement")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
