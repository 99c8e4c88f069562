"""A preview's anomalies, one line per household, child, unit and kind with its days listed (never the same line
once a day), appended chunk by chunk; residency decided on the postal code and a normalised city name; French
dates with "1er"."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enfance.activities.models import Attendance, Booking
from enfance.billing import pricing, runs, words
from enfance.billing.models import Invoice, InvoiceRun, Quotient
from tests.activities.test_bookings import centre, household
from tests.billing.helpers import regie_for, tariff

PARIS = ZoneInfo("Europe/Paris")
D = datetime.date
NOVEMBER = (D(2026, 11, 1), D(2026, 11, 30))
AFTER_NOVEMBER = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=PARIS)


def booked(family, child, unit, day):
    return Booking.objects.create(family=family, child=child, unit=unit, day=day, state="booked")


@pytest.fixture
def world(db):
    whole, half, _meal = centre(capacity=20)
    regie = regie_for(whole.activity)
    tariff(whole, [(500, "3.20"), (1000, "5.10"), (None, "7.00")], outside="9.00")
    return regie, whole, half


def preview(regie, period=NOVEMBER):
    run = runs.start(regie, *period, user=None)
    runs.preview(run.pk, now=AFTER_NOVEMBER)
    return InvoiceRun.objects.get(pk=run.pk)


# --- words ------------------------------------------------------------------------------------------------

def test_days_are_written_the_french_way_with_1er():
    assert words.long_date(D(2026, 11, 1)) == "1er novembre 2026"
    assert words.long_date("2026-11-03", year=False) == "3 novembre"
    assert words.days_phrase([D(2026, 11, 10), D(2026, 11, 3), D(2026, 11, 4)]) == "les 3, 4 et 10 novembre 2026"
    assert words.days_phrase(["2026-11-01"]) == "le 1er novembre 2026"
    assert words.days_phrase([D(2026, 11, 28), D(2026, 11, 30), D(2026, 12, 1)]) == \
        "les 28 et 30 novembre et le 1er décembre 2026"
    assert words.days_phrase([D(2026, 12, 31), D(2027, 1, 1)]) == "le 31 décembre 2026 et le 1er janvier 2027"
    assert words.period_phrase(*NOVEMBER) == "du 1er au 30 novembre 2026"
    assert words.period_phrase(D(2026, 11, 3), D(2026, 12, 2)) == "du 3 novembre au 2 décembre 2026"


# --- anomalies --------------------------------------------------------------------------------------------

def test_an_anomaly_of_several_days_is_one_line_naming_the_child_and_listing_its_days(world):
    regie, whole, _half = world
    family, (child,) = household()
    child.first_name, child.last_name = "Léa", "Martin"
    child.save(update_fields=["first_name", "last_name"])
    Quotient.objects.create(family=family, value=620, valid_from=D(2026, 9, 1), source="caf")
    days = [D(2026, 11, 3), D(2026, 11, 4), D(2026, 11, 10)]
    for day in days:
        booking = booked(family, child, whole, day)
        Attendance.objects.create(child=child, unit=whole, day=day, booking=booking, status="absent")
    for day in (D(2026, 11, 1), D(2026, 11, 18)):  # present without booking, twice
        Attendance.objects.create(child=child, unit=whole, day=day, status="unbooked")
    run = preview(regie)
    by_kind = {a["kind"]: a for a in run.anomalies}
    assert sorted(a["kind"] for a in run.anomalies) == ["absent_unjustified", "unbooked"]  # one line each
    absent = by_kind["absent_unjustified"]
    assert absent["child"] == "Léa Martin" and absent["child_id"] == child.pk
    assert absent["unit"] == f"{whole.activity.name} – {whole.name}"
    assert absent["days"] == ["2026-11-03", "2026-11-04", "2026-11-10"]
    assert absent["text"] == "Réservé et pointé absent sans absence signalée les 3, 4 et 10 novembre 2026 : facturés."
    assert by_kind["unbooked"]["text"] == "Présent sans réservation les 1er et 18 novembre 2026."
    assert absent["family"] == family.reference and absent["family_id"] == family.pk


def test_a_household_without_qf_is_one_line_and_two_children_are_two_lines(world):
    regie, whole, _half = world
    family, (first, second) = household(children=2)
    for child in (first, second):
        for day in (D(2026, 11, 4), D(2026, 11, 18)):
            booking = booked(family, child, whole, day)
            Attendance.objects.create(child=child, unit=whole, day=day, booking=booking, status="absent")
    run = preview(regie)
    kinds = [a["kind"] for a in run.anomalies]
    assert kinds.count("no_qf") == 1 and kinds.count("absent_unjustified") == 2
    (no_qf,) = [a for a in run.anomalies if a["kind"] == "no_qf"]
    assert no_qf["child"] == "" and no_qf["text"] == (
        "Pas de quotient familial connu les 4 et 18 novembre 2026 : tranche la plus haute.")
    assert {a["child_id"] for a in run.anomalies if a["kind"] == "absent_unjustified"} == {first.pk, second.pk}


def test_each_chunk_appends_its_anomalies_without_reading_those_before(world, monkeypatch):
    regie, whole, _half = world
    monkeypatch.setattr(runs, "CHUNK", 1)
    made = []
    for _i in range(3):
        family, (child,) = household()
        booked(family, child, whole, D(2026, 11, 4))  # no QF: one anomaly each
        made.append(family.pk)
    with CaptureQueriesContext(connection) as ctx:
        run = preview(regie)
    assert [a["family_id"] for a in run.anomalies] == made
    assert [a["kind"] for a in run.anomalies] == ["no_qf"] * 3
    if connection.vendor == "postgresql":
        # The database appends, one statement a chunk: no chunk reads or sends back the anomalies before it.
        appends = [q["sql"] for q in ctx.captured_queries if "anomalies = anomalies ||" in q["sql"]]
        assert len(appends) == 3
    # A preview started again starts its list again (no anomaly twice).
    InvoiceRun.objects.filter(pk=run.pk).update(state="previewing")
    runs.preview(run.pk, now=AFTER_NOVEMBER)
    assert len(InvoiceRun.objects.get(pk=run.pk).anomalies) == 3


def test_a_credit_notes_rule_writes_its_days_with_1er(world):
    regie, whole, _half = world
    family, (child,) = household()
    Quotient.objects.create(family=family, value=620, valid_from=D(2026, 9, 1), source="caf")
    booking = booked(family, child, whole, D(2026, 12, 1))
    run = runs.start(regie, D(2026, 12, 1), D(2026, 12, 31), user=None)
    now = datetime.datetime(2027, 1, 5, 9, 0, tzinfo=PARIS)
    runs.preview(run.pk, now=now)
    runs.issue(run.pk, now=now)
    Booking.objects.filter(pk=booking.pk).update(state="cancelled")  # no longer due
    again = runs.start(regie, D(2027, 1, 1), D(2027, 1, 31), user=None)
    runs.preview(again.pk, now=now)
    note = Invoice.objects.get(run=again, kind="credit_note")
    assert note.lines.get().rule.endswith("n'est plus dû : le 1er décembre 2026")


# --- residency --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("city", ["LA VALETTE-DU-VAR", "La Valette du Var", "la valette-du-var ", "LA VALETTE DU VAR CEDEX"])
def test_a_city_spelt_another_way_is_still_the_commune(settings, city):
    settings.COMMUNE_NAME, settings.COMMUNE_ADDRESS = "La Valette-du-Var", "Place Général de Gaulle, 83160 La Valette-du-Var"
    residency = pricing.Residency()
    assert residency.resident("83160", city)
    assert not residency.resident("83160", "Toulon")
    assert not residency.resident("06160", city)  # another place of that name: not the commune
    assert residency.doubt("06160", city).startswith("Adresse à vérifier")
    assert residency.doubt("83160", "Toulon") == ""


def test_saint_and_st_and_an_article_written_after_are_the_same_commune(settings):
    settings.COMMUNE_NAME, settings.COMMUNE_ADDRESS = "Saint-Raphaël", "Place Sadi Carnot, 83700 Saint-Raphaël"
    residency = pricing.Residency()
    assert residency.resident("83700", "ST RAPHAEL") and residency.resident("83700", "St-Raphaël")
    assert pricing.normalise_city("Cannet (Le)") == pricing.normalise_city("LE CANNET")
    assert pricing.normalise_city("L'Isle-sur-la-Sorgue") == pricing.normalise_city("L ISLE SUR LA SORGUE")
    # Several postal codes, when the settings name them.
    settings.COMMUNE_POSTAL_CODES = "83700, 83530"
    assert pricing.Residency().resident("83530", "Saint-Raphaël")


def test_residency_prices_by_qf_for_the_commune_spelt_in_capitals_and_outside_for_the_others(world, settings):
    settings.COMMUNE_NAME, settings.COMMUNE_ADDRESS = "La Valette-du-Var", "Place Général de Gaulle, 83160 La Valette-du-Var"
    regie, whole, _half = world
    resident, (child,) = household()
    resident.postal_code, resident.city = "83160", "LA VALETTE-DU-VAR"
    resident.save(update_fields=["postal_code", "city"])
    Quotient.objects.create(family=resident, value=620, valid_from=D(2026, 9, 1), source="caf")
    booked(resident, child, whole, D(2026, 11, 4))
    elsewhere, (other,) = household()
    elsewhere.postal_code, elsewhere.city = "06160", "La Valette du Var"  # the name, not the postal code
    elsewhere.save(update_fields=["postal_code", "city"])
    booked(elsewhere, other, whole, D(2026, 11, 4))
    run = preview(regie)
    assert Invoice.objects.get(run=run, family=resident).lines.get().rule == "Tranche 2, QF 620"
    assert Invoice.objects.get(run=run, family=elsewhere).lines.get().rule == "tarif hors commune"
    (doubt,) = [a for a in run.anomalies if a["kind"] == "residency"]
    assert doubt["family_id"] == elsewhere.pk and "06160 La Valette du Var" in doubt["text"]


def test_a_postal_code_changed_after_the_preview_refuses_the_issue(world):
    regie, whole, _half = world
    family, (child,) = household()
    booked(family, child, whole, D(2026, 11, 4))
    run = preview(regie)
    type(family).objects.filter(pk=family.pk).update(postal_code="06140")
    with pytest.raises(runs.RunError):
        runs.issue(run.pk, now=AFTER_NOVEMBER)
