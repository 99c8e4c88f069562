"""The staff's billing screens: régies and tariffs made through their pages (French errors next to the fields,
audit trail), a household's QF, invoice runs started, previewed (drafts and anomalies), issued with numbers,
refused after a change and previewed again, abandoned; who may do what; fixed query counts."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enfance.activities.models import Activity, Booking, Unit
from enfance.billing import runs
from enfance.billing.models import Invoice, InvoiceRun, Quotient, Regie, Tariff
from enfance.core.models import AuditEntry
from tests.activities.test_bookings import DAY_BEFORE_RULE, centre, household
from tests.billing.helpers import regie_for, tariff
from tests.factories import ChildFactory, FamilyFactory

from .conftest import client_for, count_queries

pytestmark = pytest.mark.django_db
D = datetime.date
DECEMBER = (D(2026, 12, 1), D(2026, 12, 31))
WEDNESDAYS = [D(2026, 12, 2), D(2026, 12, 9), D(2026, 12, 16)]


@pytest.fixture
def admin_client_(admin_user):
    return client_for(admin_user)


@pytest.fixture
def agent_client(staff):
    return client_for(staff)


def error_of(response, field_id):
    """The error shown under the field whose id is `field_id`."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}_error">(.*?)</p>', response.content.decode(), re.S)
    return html.unescape(match.group(1)) if match else None


def text(response):
    return html.unescape(response.content.decode())


def booked(family, child, unit, day):
    return Booking.objects.create(family=family, child=child, unit=unit, day=day, state="booked")


@pytest.fixture
def world():
    """The leisure centre billed by the CANT régie: the whole day at 3,20 / 5,10 / 7,00 € by QF."""
    whole, half, _meal = centre(capacity=50)
    regie = regie_for(whole.activity)
    tariff(whole, [(500, "3.20"), (1000, "5.10"), (None, "7.00")])
    return regie, whole, half


def households(whole, n, *, with_qf=True):
    made = []
    for i in range(n):
        family, (child,) = household()
        if with_qf:
            Quotient.objects.create(family=family, value=620 + i, valid_from=D(2026, 9, 1), source="caf")
        for day in WEDNESDAYS:
            booked(family, child, whole, day)
        made.append((family, child))
    return made


def start(client, regie, django_capture_on_commit_callbacks, period=DECEMBER):
    """POST the new-run form (the preview runs at once: the immediate backend, on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:run_new"), {
            "regie": regie.pk, "first_day": period[0].isoformat(), "last_day": period[1].isoformat()})
    assert response.status_code == 302, text(response)[:3000]
    return InvoiceRun.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


# --- who may do what -----------------------------------------------------------------------------------------

def test_leaders_see_nothing_of_billing(world, leader_client):
    regie, whole, _half = world
    family, _ = household()
    run = runs.start(regie, *DECEMBER, user=None)
    for url in (reverse("backoffice:billing"), reverse("backoffice:run_new"), reverse("backoffice:run", args=[run.pk]),
                reverse("backoffice:run_progress", args=[run.pk]), reverse("backoffice:regies"),
                reverse("backoffice:tariffs"), reverse("backoffice:family_quotient", args=[family.pk])):
        assert leader_client.get(url).status_code == 403, url
    assert leader_client.post(reverse("backoffice:run_discard", args=[run.pk])).status_code == 403
    assert InvoiceRun.objects.get(pk=run.pk).state == "previewing"


def test_agents_read_regies_and_tariffs_and_only_administrators_edit_them(world, agent_client, admin_client_):
    regie, whole, _half = world
    stored = Tariff.objects.get(unit=whole)
    for url in (reverse("backoffice:regies"), reverse("backoffice:tariffs")):
        page = agent_client.get(url)
        assert page.status_code == 200
        assert reverse("backoffice:regie_edit", args=[regie.pk]) not in page.content.decode()
        assert reverse("backoffice:tariff_edit", args=[stored.pk]) not in page.content.decode()
    assert "5,10" in text(agent_client.get(reverse("backoffice:tariffs")))
    for url in (reverse("backoffice:regie_new"), reverse("backoffice:regie_edit", args=[regie.pk]),
                reverse("backoffice:tariff_new", args=[whole.pk]), reverse("backoffice:tariff_edit", args=[stored.pk])):
        assert agent_client.get(url).status_code == 403, url
        assert agent_client.post(url, {"name": "Pirate"}).status_code == 403, url
        assert admin_client_.get(url).status_code == 200, url
    assert reverse("backoffice:tariff_edit", args=[stored.pk]) in admin_client_.get(reverse("backoffice:tariffs")) \
        .content.decode()


def test_the_menu_has_billing_for_agents_only(agent_client, leader_client):
    assert reverse("backoffice:billing") in agent_client.get(reverse("backoffice:home")).content.decode()
    assert reverse("backoffice:billing") not in leader_client.get(reverse("backoffice:home")).content.decode()


# --- régies ----------------------------------------------------------------------------------------------

def test_an_administrator_creates_a_regie_with_errors_next_to_the_fields(admin_client_, admin_user):
    whole, _half, _meal = centre()
    url = reverse("backoffice:regie_new")
    response = admin_client_.post(url, {"name": "", "code": "ca-nt", "payment_days": "400",
                                        "activities": [whole.activity.pk]})
    assert response.status_code == 200
    assert error_of(response, "id_name")
    assert "majuscules ou chiffres" in error_of(response, "id_code")
    assert error_of(response, "id_payment_days")
    assert 'role="alert"' in response.content.decode()
    assert not Regie.objects.exists()
    response = admin_client_.post(url, {"name": "Régie enfance", "code": "cant", "address": "Place de la Mairie",
                                        "hours": "Lundi 9 h – 12 h", "payment_days": "30",
                                        "activities": [whole.activity.pk]})
    assert response.status_code == 302, text(response)[:3000]
    regie = Regie.objects.get()
    assert regie.code == "CANT" and list(regie.activities.all()) == [whole.activity]
    entry = AuditEntry.objects.get(object_type="regie")
    assert entry.action == "create" and entry.actor == admin_user
    assert entry.changes["activités encaissées"] == ["", "Centre de loisirs"]
    # The activity is billed by one régie only: the second one is told so next to the boxes.
    response = admin_client_.post(url, {"name": "Autre régie", "code": "AUTRE", "payment_days": "30",
                                        "activities": [whole.activity.pk]})
    assert response.status_code == 200
    assert "déjà encaissée par la régie « Régie enfance »" in error_of(response, "id_activities")
    assert Regie.objects.count() == 1
    response = admin_client_.post(url, {"name": "régie ENFANCE", "code": "CANT", "payment_days": "30"})
    assert "Une autre régie porte déjà ce nom." in error_of(response, "id_name")
    assert "Une autre régie a déjà ce code." in error_of(response, "id_code")


def test_editing_a_regie_is_audited_and_its_code_is_kept_once_invoices_are_numbered(world, admin_client_,
                                                                                   django_capture_on_commit_callbacks):
    regie, whole, _half = world
    url = reverse("backoffice:regie_edit", args=[regie.pk])
    data = {"name": regie.name, "code": regie.code, "address": "2 place de la Mairie", "hours": regie.hours,
            "payment_days": "45", "activities": [whole.activity.pk]}
    assert admin_client_.post(url, data).status_code == 302
    entry = AuditEntry.objects.filter(object_type="regie").latest("pk")
    assert entry.changes == {"adresse": ["Place de la Mairie", "2 place de la Mairie"],
                             "délai de paiement (jours)": ["30", "45"]}
    # An open run: its activities stay.
    run = runs.start(regie, *DECEMBER, user=None)
    response = admin_client_.post(url, {**data, "activities": []})
    assert "Une facturation de cette régie est en cours" in error_of(response, "id_activities")
    runs.discard(run.pk)
    family, child = households(whole, 1)[0]
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk)
    runs.issue(run.pk)
    page = admin_client_.get(url)
    assert "Des factures portent déjà ce code" in text(page)
    assert admin_client_.post(url, {**data, "code": "NEUF"}).status_code == 302
    assert Regie.objects.get(pk=regie.pk).code == "CANT"  # a disabled field: the posted value is ignored


# --- tariffs ---------------------------------------------------------------------------------------------

def tariff_data(brackets, **fields):
    """What the tariff page posts: its fields and the bracket rows [(label, qf_max, price)]."""
    data = {"valid_from": "2027-09-01", "valid_until": "", "outside_price": "", "late_kind": "", "late_value": "",
            "unbooked_kind": "", "unbooked_value": "", "tranches-TOTAL_FORMS": str(max(len(brackets), 5)),
            "tranches-INITIAL_FORMS": "0", "tranches-MIN_NUM_FORMS": "0", "tranches-MAX_NUM_FORMS": "20"}
    for i, (label, qf_max, price) in enumerate(brackets):
        data |= {f"tranches-{i}-label": label, f"tranches-{i}-qf_max": qf_max, f"tranches-{i}-price": price}
    return data | fields


def test_an_administrator_makes_a_tariff_and_each_mistake_is_told_next_to_its_field(world, admin_client_,
                                                                                      admin_user):
    regie, whole, half = world
    url = reverse("backoffice:tariff_new", args=[half.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200 and "<fieldset" in page.content.decode() and "<legend>Tranche 1</legend>" in \
        page.content.decode()

    def post(brackets, **fields):
        response = admin_client_.post(url, tariff_data(brackets, **fields))
        assert response.status_code == 200, response.get("Location")
        assert 'role="alert"' in response.content.decode()
        return response

    response = post([("T1", "500", "3,205"), ("T2", "", "-1")])
    assert "Deux chiffres après la virgule au plus." in error_of(response, "id_tranches-0-price")
    assert "négatif" in error_of(response, "id_tranches-1-price")
    response = post([("T1", "500", "3,20"), ("T2", "400", "4,00"), ("T3", "", "5,00")])
    assert "QF croissant : indiquez plus de 500" in error_of(response, "id_tranches-1-qf_max")
    response = post([("T1", "", "3,20"), ("T2", "", "4,00")])
    assert "Seule la dernière tranche est sans plafond" in error_of(response, "id_tranches-0-qf_max")
    response = post([("T1", "500", "3,20"), ("T2", "900", "4,00")])
    assert "Laissez vide le plafond de la dernière tranche" in error_of(response, "id_tranches-1-qf_max")
    response = post([("", "500", "3,20"), ("T2", "", "")])
    assert error_of(response, "id_tranches-0-label") and "prix" in error_of(response, "id_tranches-1-price")
    response = post([])
    assert "au moins une tranche" in text(response)
    response = post([("Tarif unique", "", "2,50")], late_kind="fixed", unbooked_value="1,00")
    assert "Indiquez le montant" in error_of(response, "id_late_value")
    assert "Choisissez d'abord le type" in error_of(response, "id_unbooked_value")
    response = post([("Tarif unique", "", "2,50")], late_kind="percent", late_value="150")
    assert "100 au plus" in error_of(response, "id_late_value")
    response = post([("Tarif unique", "", "2,50")], valid_until="2027-08-01")
    assert "avant le premier" in error_of(response, "id_valid_until")
    assert not Tariff.objects.filter(unit=half).exists()

    response = admin_client_.post(url, tariff_data([("Tranche 1", "600", "2,10"), ("Tranche 2", "", "3.40")],
                                                   outside_price="4,00", late_kind="percent", late_value="10"))
    assert response.status_code == 302, text(response)[:4000]
    made = Tariff.objects.get(unit=half)
    assert [(b.label, b.qf_max, b.price) for b in made.brackets.all()] == [
        ("Tranche 1", 600, Decimal("2.10")), ("Tranche 2", None, Decimal("3.40"))]
    assert (made.outside_price, made.late_kind, made.late_value, made.unbooked_kind, made.unbooked_value) == (
        Decimal("4.00"), "percent", Decimal("10.00"), "", Decimal("0.00"))
    entry = AuditEntry.objects.get(object_type="tariff")
    assert entry.action == "create" and entry.actor == admin_user
    assert "Tranche 1 jusqu'à 600 : 2,10" in entry.changes["tranches"][1]

    # A second tariff of the unit whose days overlap the first: refused next to the first day, saying which
    # tariff (its dates) and what to do (end it first: its last day, the eve of the new one at the latest),
    # with a link to that tariff.
    response = post([("Tarif unique", "", "2,50")], valid_from="2028-01-01")
    assert error_of(response, "id_valid_from") == (
        "Ces jours sont déjà couverts par le tarif en vigueur depuis le 1er septembre 2027, sans dernier jour. "
        "Terminez-le d'abord : ouvrez ce tarif et indiquez son dernier jour (le 31 décembre 2027 au plus tard), "
        "puis enregistrez celui-ci.")
    assert f'href="{reverse("backoffice:tariff_edit", args=[made.pk])}"' in response.content.decode()
    assert "Modifier le tarif en vigueur depuis le 01/09/2027 (lui donner un dernier jour)" in text(response)
    # A new tariff starting before one that exists: that one's dates, and to end this one before it.
    response = post([("Tarif unique", "", "2,50")], valid_from="2027-06-01")
    assert error_of(response, "id_valid_from") == (
        "Ces dates recouvrent le tarif en vigueur depuis le 1er septembre 2027, sans dernier jour. Donnez à ce "
        "tarif-ci un dernier jour avant le 1er septembre 2027, ou modifiez les dates de l'autre tarif d'abord.")

    # Editing: the brackets as stored, a price changed, the change in the trail.
    edit = reverse("backoffice:tariff_edit", args=[made.pk])
    page = text(admin_client_.get(edit))
    assert 'value="2,10"' in page and 'value="600"' in page
    response = admin_client_.post(edit, tariff_data([("Tranche 1", "600", "2,30"), ("Tranche 2", "", "3,40")],
                                                   outside_price="4,00", late_kind="percent", late_value="10",
                                                   **{"tranches-INITIAL_FORMS": "2"}))
    assert response.status_code == 302, text(response)[:4000]
    assert made.brackets.get(qf_max=600).price == Decimal("2.30")
    change = AuditEntry.objects.filter(object_type="tariff").latest("pk")
    assert change.action == "update" and list(change.changes) == ["tranches"]
    assert "2,30" in change.changes["tranches"][1] and "2,10" in change.changes["tranches"][0]


# --- a household's QF ------------------------------------------------------------------------------------

def test_agents_see_the_qf_history_and_add_one_from_the_earliest_start(agent_client, staff):
    family = FamilyFactory()
    ChildFactory(family=family)
    Quotient.objects.create(family=family, value=480, valid_from=D(2025, 9, 1), source="caf")
    page = text(agent_client.get(reverse("backoffice:family", args=[family.pk])))
    assert "Quotient familial" in page and "480" in page and "en vigueur" in page
    today = timezone.localdate()
    earliest = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    assert f'value="{earliest.isoformat()}"' in page  # the default start
    url = reverse("backoffice:family_quotient", args=[family.pk])
    response = agent_client.post(url, {"qf-value": "650", "qf-source": "caf", "qf-valid_from": today.replace(day=1)
                                       .isoformat()})
    assert response.status_code == 200
    assert f"au plus tôt le {earliest:%d/%m/%Y}" in error_of(response, "id_qf-valid_from")
    response = agent_client.post(url, {"qf-value": "abc", "qf-source": ""})
    assert error_of(response, "id_qf-value") and error_of(response, "id_qf-source")
    response = agent_client.post(url, {"qf-value": "650", "qf-source": "tax", "qf-valid_from": ""})
    assert response.status_code == 302
    quotient = Quotient.objects.get(family=family, value=650)
    assert (quotient.valid_from, quotient.source, quotient.created_by) == (earliest, "tax", staff)
    entry = AuditEntry.objects.get(object_type="quotient")
    assert entry.family == family and entry.changes["quotient familial"] == ["", "650"]
    assert "650" in text(agent_client.get(reverse("backoffice:family", args=[family.pk])))


def test_the_qf_starts_after_the_days_already_invoiced(world, agent_client, django_capture_on_commit_callbacks):
    regie, whole, _half = world
    family, child = households(whole, 1)[0]
    run = runs.start(regie, D(2099, 1, 1), D(2099, 1, 31), user=None)
    booked(family, child, whole, D(2099, 1, 6))
    runs.preview(run.pk)
    runs.issue(run.pk)
    response = agent_client.post(reverse("backoffice:family_quotient", args=[family.pk]),
                                 {"qf-value": "700", "qf-source": "staff", "qf-valid_from": "2099-01-15"})
    assert "déjà facturés" in error_of(response, "id_qf-valid_from")
    assert "01/02/2099" in error_of(response, "id_qf-valid_from")


def test_a_leader_does_not_see_the_qf_card(leader, staff):
    from enfance.backoffice.views.billing import family_quotients

    class Request:
        user = leader

    family = FamilyFactory()
    Quotient.objects.create(family=family, value=480, valid_from=D(2025, 9, 1), source="caf")
    assert family_quotients(Request(), family) == {}
    Request.user = staff
    assert family_quotients(Request(), family)["quotients"]["current"].value == 480


# --- invoice runs ------------------------------------------------------------------------------------------

def test_the_new_run_form_proposes_the_previous_month(world, agent_client):
    page = text(agent_client.get(reverse("backoffice:run_new")))
    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    assert f'value="{last.replace(day=1).isoformat()}"' in page and f'value="{last.isoformat()}"' in page


def test_an_agent_starts_a_run_and_sees_its_drafts_and_anomalies(world, agent_client, staff,
                                                                   django_capture_on_commit_callbacks):
    regie, whole, _half = world
    (with_qf, child), = households(whole, 1)
    (without_qf, _), = households(whole, 1, with_qf=False)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert (run.state, run.households_total, run.households_done, run.created_by) == ("previewed", 2, 2, staff)
    assert AuditEntry.objects.filter(object_type="invoicerun", object_id=str(run.pk), action="create").exists()
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk])))
    assert "Prévisualisée" in page
    assert "Foyers sans quotient familial (tranche la plus haute) (1)" in re.sub(r"\s+", " ", re.sub("<[^>]+>", "", page))
    assert f'href="{reverse("backoffice:family", args=[without_qf.pk])}"' in page
    assert with_qf.reference in page and without_qf.reference in page
    assert "15,30" in page and "21,00" in page and "36,30" in page  # 3 × 5,10, 3 × 7,00, the total
    assert "Émettre les factures" in page and "Abandonner" in page
    assert "<progress" not in page  # done: no progress bar
    draft = Invoice.objects.get(run=run, family=with_qf)
    lines = text(agent_client.get(reverse("backoffice:run_draft", args=[run.pk, draft.pk])))
    assert "Tranche 2, QF 620" in lines and "brouillon" in lines and "02/12/2026" in lines
    # The drafts of a household found by its reference.
    found = text(agent_client.get(reverse("backoffice:run", args=[run.pk]), {"q": with_qf.reference}))
    assert with_qf.reference in found
    assert reverse("backoffice:run_draft", args=[run.pk, draft.pk]) in found
    other = Invoice.objects.get(run=run, family=without_qf)
    assert reverse("backoffice:run_draft", args=[run.pk, other.pk]) not in found
    # Another run's draft is not this run's.
    assert agent_client.get(reverse("backoffice:run_draft", args=[run.pk + 1, draft.pk])).status_code == 404
    # One open run per régie: the form says so next to the régie.
    response = agent_client.post(reverse("backoffice:run_new"), {"regie": regie.pk, "first_day": "2027-01-01",
                                                                  "last_day": "2027-01-31"})
    assert "déjà en cours" in error_of(response, "id_regie")


def test_a_run_in_progress_shows_its_progress_and_the_endpoint_says_how_far(world, agent_client):
    regie, whole, _half = world
    run = runs.start(regie, *DECEMBER, user=None)  # enqueued by nobody: it stays in preview
    InvoiceRun.objects.filter(pk=run.pk).update(households_total=20_000, households_done=5_000,
                                                anomalies=[{"kind": "no_qf", "family": "F1", "family_id": 1,
                                                            "text": "x"}] * 3)
    page = agent_client.get(reverse("backoffice:run", args=[run.pk])).content.decode()
    assert '<progress id="run-bar" max="20000" value="5000">' in page
    assert "5000 foyers traités sur 20000" in page
    assert "run_progress.js" in page and "Rafraîchir" in page and 'http-equiv="refresh"' in page
    assert "Émettre les factures" not in page and "Abandonner" in page
    data = agent_client.get(reverse("backoffice:run_progress", args=[run.pk])).json()
    assert data == {"state": "previewing", "state_label": "Prévisualisation en cours", "done": 5000,
                    "total": 20000, "anomalies": 3, "error": ""}
    assert agent_client.get(reverse("backoffice:run_progress", args=[run.pk + 99])).status_code == 404


def test_issuing_numbers_the_drafts(world, agent_client, django_capture_on_commit_callbacks):
    regie, whole, _half = world
    households(whole, 2)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reverse("backoffice:run_issue", args=[run.pk]))
    assert response.status_code == 302 and response["Location"].endswith("?emission=1")
    run.refresh_from_db()
    assert run.state == "issued" and run.issued_at is not None
    numbers = sorted(Invoice.objects.filter(run=run).values_list("number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"CANT{year}000001", f"CANT{year}000002"]
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk]) + "?emission=1"))
    assert "Émise" in page and f"CANT{year}000001" in page and f"CANT{year}000002" in page
    assert "Émettre les factures" not in page and "Abandonner" not in page and "<progress" not in page
    home = text(agent_client.get(reverse("backoffice:billing")))
    assert "Émise" in home and "30,60" in home  # two households × 3 × 5,10
    # Issued: neither issued again nor abandoned.
    response = agent_client.post(reverse("backoffice:run_discard", args=[run.pk]), follow=True)
    assert "ne s'abandonne pas" in text(response)
    response = agent_client.post(reverse("backoffice:run_issue", args=[run.pk]), follow=True)
    assert "Cette facturation est déjà émise." in text(response)


def test_an_issue_refused_after_a_change_is_shown_and_previewed_again(world, agent_client,
                                                                        django_capture_on_commit_callbacks):
    regie, whole, _half = world
    ((family, child),) = households(whole, 1)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    booked(family, child, whole, D(2026, 12, 23))  # booked after the preview
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("backoffice:run_issue", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == "previewed" and "ont changé depuis la prévisualisation" in run.error
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk]) + "?emission=1"))
    assert "L'émission a été refusée" in page and "ont changé depuis la prévisualisation" in page
    assert 'role="alert"' in page and "Prévisualiser à nouveau" in page and "Émettre les factures" not in page
    assert agent_client.get(reverse("backoffice:run_progress", args=[run.pk])).json()["error"] == run.error
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reverse("backoffice:run_again", args=[run.pk]))
    new = InvoiceRun.objects.exclude(pk=run.pk).get()
    assert response["Location"] == reverse("backoffice:run", args=[new.pk])
    assert InvoiceRun.objects.get(pk=run.pk).state == "discarded"
    assert (new.state, new.first_day, new.last_day) == ("previewed", *DECEMBER)
    assert Invoice.objects.get(run=new).total == Decimal("20.40")  # 4 × 5,10
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("backoffice:run_issue", args=[new.pk]))
    assert InvoiceRun.objects.get(pk=new.pk).state == "issued"


def test_abandoning_a_run_discards_its_drafts(world, agent_client, django_capture_on_commit_callbacks):
    regie, whole, _half = world
    households(whole, 1)
    run = start(agent_client, regie, django_capture_on_commit_callbacks)
    response = agent_client.post(reverse("backoffice:run_discard", args=[run.pk]), follow=True)
    assert "Facturation abandonnée" in text(response)
    run.refresh_from_db()
    assert run.state == "discarded"
    assert list(Invoice.objects.filter(run=run).values_list("state", flat=True)) == ["discarded"]
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk])))
    assert "Abandonnée" in page and "Proposé puis abandonné" in page and "Émettre les factures" not in page
    # The régie may be billed again.
    assert start(agent_client, regie, django_capture_on_commit_callbacks).state == "previewed"


def test_the_anomalies_of_one_kind_are_paginated(world, agent_client):
    regie, _whole, _half = world
    run = runs.start(regie, *DECEMBER, user=None)
    anomalies = [{"kind": "unbooked", "family": f"F{i:05d}", "family_id": i, "text": f"Présent {i}."}
                 for i in range(1, 251)]
    InvoiceRun.objects.filter(pk=run.pk).update(state="previewed", anomalies=anomalies)
    page = text(agent_client.get(reverse("backoffice:run", args=[run.pk])))
    assert "Présent 20." in page and "Présent 21." not in page and "Les 250 anomalies" in page
    kind = text(agent_client.get(reverse("backoffice:run", args=[run.pk]), {"anomalie": "unbooked", "page": "3"}))
    assert "Présent 201." in kind and "Présent 250." in kind and "Présent 200." not in kind
    assert "Page 3 sur 3" in kind


# --- query counts ------------------------------------------------------------------------------------

# With database sessions; one fewer with Redis sessions (tests.helpers.session_queries).
PINNED = {"run": 9, "progress": 2, "draft": 7, "billing": 9, "regies": 7, "tariffs": 8, "quotient": 9}


def test_the_billing_pages_do_not_grow_with_their_rows(world, admin_client_, django_capture_on_commit_callbacks):
    regie, whole, half = world

    def urls(run):
        draft = Invoice.objects.filter(run=run).order_by("pk").first()
        return {"run": reverse("backoffice:run", args=[run.pk]),
                "progress": reverse("backoffice:run_progress", args=[run.pk]),
                "draft": reverse("backoffice:run_draft", args=[run.pk, draft.pk]),
                "billing": reverse("backoffice:billing"), "regies": reverse("backoffice:regies"),
                "tariffs": reverse("backoffice:tariffs"),
                "quotient": reverse("backoffice:family_quotient", args=[draft.family_id]),
                "family": reverse("backoffice:family", args=[draft.family_id])}

    households(whole, 1)
    few_run = start(admin_client_, regie, django_capture_on_commit_callbacks)
    for url in urls(few_run).values():  # warm the caches (the current service rules)
        admin_client_.get(url)
    few = {name: count_queries(lambda url=url: admin_client_.get(url)) for name, url in urls(few_run).items()}
    runs.discard(few_run.pk)
    # Many more households, anomalies, lines on the first draft, QFs, régies, activities and tariffs.
    made = households(whole, 25) + households(whole, 5, with_qf=False)
    first_family = Invoice.objects.filter(run=few_run).order_by("pk").first().family
    child = first_family.children.first()
    for day in (D(2026, 12, 23), D(2026, 12, 30)):
        booked(first_family, child, half, day)
    tariff(half, [(800, "1.00"), (None, "2.00")])
    for i in range(4):
        Quotient.objects.create(family=first_family, value=300 + i, valid_from=D(2026 + i, 1, 1), source="caf")
    other = Unit.objects.create(activity=Activity.objects.create(
        name="Autre centre", kind="leisure", booking_rule=DAY_BEFORE_RULE, cancellation_rule=DAY_BEFORE_RULE),
        name="Journée")
    regie_for(other.activity, code="AUTRE", name="Autre régie")
    tariff(other, [(None, "4.00")])
    many_run = start(admin_client_, regie, django_capture_on_commit_callbacks)
    assert Invoice.objects.filter(run=many_run).count() == len(made) + 1
    assert Invoice.objects.filter(run=many_run).order_by("pk").first().family == first_family
    many = {name: count_queries(lambda url=url: admin_client_.get(url)) for name, url in urls(many_run).items()}
    assert few == many
    # Pinned: the session and the user (2), the menu's three counts (3, every page but the JSON one), then the
    # run, its totals, the count and the page of its drafts, their guardians; the progress: the run alone.
    from tests.helpers import session_queries

    assert {name: many[name] for name in PINNED} == {name: n + session_queries() for name, n in PINNED.items()}


def test_staff_billing_forms_resist_hostile_values(world, admin_client_, django_capture_on_commit_callbacks):
    from tests.test_hostile_input import HOSTILE, crawl, submit_all

    regie, whole, _half = world
    family, _ = households(whole, 1)[0]
    start(admin_client_, regie, django_capture_on_commit_callbacks)
    pages = crawl(admin_client_, [reverse("backoffice:billing"), reverse("backoffice:regies"),
                                  reverse("backoffice:tariffs"), reverse("backoffice:run_new"),
                                  reverse("backoffice:family_quotient", args=[family.pk])])
    pages = [(url, forms) for url, forms in pages if "/facturation/" in url or "/quotient-familial/" in url]
    shapes = {re.sub(r"\d+", "N", url.split("?")[0]) for url, _forms in pages}
    for expected in ("/gestion/facturation/regies/nouvelle/", "/gestion/facturation/regies/N/",
                     "/gestion/facturation/tarifs/N/", "/gestion/facturation/tarifs/prestations/N/nouveau/",
                     "/gestion/facturation/nouvelle/", "/gestion/familles/N/quotient-familial/"):
        assert expected in shapes, expected
    assert submit_all(admin_client_, pages) >= 5 * len(HOSTILE)
