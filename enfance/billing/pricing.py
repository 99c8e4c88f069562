"""What a régie should bill each household over a span of days, day by day, with the rule that set each price.

Read in a fixed number of queries for a whole run: the bookings held (a place offered from the waiting list
counts once accepted), the absences and whether each is billed (activities.absences), the children present
without booking, the tariffs and the QF history. The result is compared with what was already billed
(BilledDay) by runs.py: what is new is billed, what changed is credited.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enfance.activities.absences import billing_loaded
from enfance.activities.models import Absence, Attendance, Booking, Unit
from enfance.families.models import Family

from .models import InvoiceLine, Tariff
from .money import ZERO, euros, money, percent_of
from .quotients import History
from .words import days_phrase

Kind = InvoiceLine.Kind


@dataclass(frozen=True)
class Charge:
    """One day to bill: its price and the rule that set it, in words."""

    child_id: int
    unit_id: int
    day: datetime.date
    kind: str
    price: Decimal
    rule: str
    cesu: bool = False


# The kinds of anomaly, in the order the run page lists them (admin_services.ANOMALY_KINDS names them).
ANOMALY_KINDS = ("no_tariff", "no_qf", "residency", "absence_pending", "absent_unjustified", "unbooked",
                 "shared_unbooked", "zero")


class Anomaly(NamedTuple):
    """Something staff should look at, for one day of a child and unit (None: the household's as a whole).
    `detail` tells apart anomalies of one kind that read differently (why an absence is still unsure); runs.py
    groups them by household, child, unit, kind and detail, their days listed (anomaly_text)."""

    kind: str
    child_id: int | None = None
    unit_id: int | None = None
    day: datetime.date | None = None
    detail: str = ""


@dataclass
class Household:
    family_id: int
    charges: dict = field(default_factory=dict)  # (child, unit, day, kind) -> Charge
    anomalies: list = field(default_factory=list)  # [Anomaly], a day each
    unsure: set = field(default_factory=set)  # (child, unit, day): not known yet (a certificate may come)


def anomaly_text(kind, days, detail=""):
    """An anomaly's words, its days listed: "Réservé et pointé absent sans absence signalée les 3, 4 et 10
    novembre 2026 : facturé." Days: dates (none for a household's anomaly without days)."""
    days = sorted(set(d for d in days if d is not None))
    when = days_phrase(days)
    n = len(days)
    count = ngettext(" (%(n)s jour)", " (%(n)s jours)", n) % {"n": n} if n > 3 else ""
    if kind == "no_tariff" and detail == "no_bracket":
        return _("Tarif sans tranche %(when)s%(count)s : non facturé.") % {"when": when, "count": count}
    if kind == "no_tariff":
        return ngettext("Pas de tarif %(when)s : jour non facturé.", "Pas de tarif %(when)s%(count)s : jours non "
                        "facturés.", n) % {"when": when, "count": count}
    if kind == "no_qf":
        return _("Pas de quotient familial connu %(when)s%(count)s : tranche la plus haute.") % {
            "when": when, "count": count}
    if kind == "absence_pending":
        return _("Absence %(when)s%(count)s : %(why)s") % {"when": when, "count": count, "why": detail}
    if kind == "absent_unjustified":
        return ngettext("Réservé et pointé absent sans absence signalée %(when)s : facturé.",
                        "Réservé et pointé absent sans absence signalée %(when)s%(count)s : facturés.", n) % {
            "when": when, "count": count}
    if kind == "unbooked":
        return _("Présent sans réservation %(when)s%(count)s.") % {"when": when, "count": count}
    if kind == "shared_unbooked":
        return _("Présent sans réservation %(when)s%(count)s, enfant en garde partagée : vérifiez le foyer "
                 "facturé.") % {"when": when, "count": count}
    if kind == "residency":
        return detail
    if kind == "zero":
        return _("Facture d'un montant nul.")
    return f"{detail} {when}".strip()


# --- residency: the commune's own households pay by QF, the others the "outside the commune" price ---------

ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
ARTICLE_AFTER = re.compile(r"^(?P<name>.+?)\s*\((?P<article>le|la|les|l)\)$")
CEDEX = re.compile(r"\s+cedex(\s+\d+)?$")


def normalise_city(text):
    """A city name reduced to what tells it apart: case, accents, hyphens, apostrophes and dots, "St"/"Ste" for
    "Saint"/"Sainte", a trailing CEDEX, the article written after ("Cannet (Le)"). "LA VALETTE-DU-VAR",
    "La Valette du Var" and "la valette-du-var" are one."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().casefold()
    for mark in "-'’.,_/":
        text = text.replace(mark, " ")
    text = CEDEX.sub("", " ".join(text.split()))
    moved = ARTICLE_AFTER.match(text)
    if moved:
        text = f"{moved['article']} {moved['name']}"
    return " ".join(ABBREVIATIONS.get(word, word) for word in text.split())


def commune_postal_codes():
    """The commune's postal codes: ENFANCE_COMMUNE_POSTAL_CODES when the settings give it (a commune may have
    several), else the one in its address ("Place de la Mairie, 83440 Tourrettes"); empty when unknown."""
    configured = getattr(settings, "COMMUNE_POSTAL_CODES", None)
    if configured:
        values = configured.split(",") if isinstance(configured, str) else configured
        return frozenset(str(v).strip() for v in values if str(v).strip())
    return frozenset(re.findall(r"\b\d{5}\b", str(getattr(settings, "COMMUNE_ADDRESS", "") or "")))


class Residency:
    """Whether a household lives in the commune, from its postal code and city: the same normalised name and,
    when both are known, one of the commune's postal codes (another commune of the same name elsewhere, or a
    neighbour sharing the postal code, is not the commune). `doubt(...)` says why a household with the
    commune's name but another postal code is billed as outside: staff check its address."""

    def __init__(self, name=None, postal_codes=None):
        self.name = normalise_city(settings.COMMUNE_NAME if name is None else name)
        self.postal_codes = commune_postal_codes() if postal_codes is None else frozenset(postal_codes)

    def _code_ok(self, postal_code):
        code = "".join(str(postal_code or "").split())
        return not code or not self.postal_codes or code in self.postal_codes

    def resident(self, postal_code, city):
        return normalise_city(city) == self.name and self._code_ok(postal_code)

    def doubt(self, postal_code, city):
        """The words of an anomaly when only the postal code makes the household an outsider, else ""."""
        if normalise_city(city) != self.name or self._code_ok(postal_code):
            return ""
        return _("Adresse à vérifier : « %(code)s %(city)s » porte le nom de la commune mais pas son code postal "
                 "(%(codes)s) : tarif hors commune appliqué.") % {
            "code": postal_code, "city": city, "codes": ", ".join(sorted(self.postal_codes))}


class Tariffs:
    """The tariffs of some units, each with its brackets, read once."""

    def __init__(self, unit_ids):
        self.by_unit = {}
        for tariff in Tariff.objects.filter(unit_id__in=unit_ids).prefetch_related("brackets").order_by("valid_from"):
            tariff.bracket_list = list(tariff.brackets.all())
            self.by_unit.setdefault(tariff.unit_id, []).append(tariff)

    def on(self, unit_id, day):
        for tariff in reversed(self.by_unit.get(unit_id, ())):
            if tariff.valid_from <= day and (tariff.valid_until is None or day <= tariff.valid_until):
                return tariff
        return None


def base_price(tariff, qf, resident):
    """(unit price, rule) for a household of this QF (None: unknown) living in the commune or not."""
    if not resident and tariff.outside_price is not None:
        return money(tariff.outside_price), _("tarif hors commune")
    brackets = tariff.bracket_list
    if not brackets:
        return None, ""
    if qf is None:
        highest = brackets[-1]
        return money(highest.price), _("%(bracket)s, sans quotient familial connu") % {"bracket": highest.label}
    for bracket in brackets:
        if bracket.qf_max is None or qf <= bracket.qf_max:
            return money(bracket.price), _("%(bracket)s, QF %(qf)s") % {"bracket": bracket.label, "qf": qf}
    highest = brackets[-1]
    return money(highest.price), _("%(bracket)s, QF %(qf)s") % {"bracket": highest.label, "qf": qf}


def surcharge(kind, value, price):
    if kind == Tariff.Surcharge.FIXED:
        return money(value)
    if kind == Tariff.Surcharge.PERCENT:
        return percent_of(price, value)
    return ZERO


def price_households(unit_ids, first_day, last_day, *, now):
    """{family id: Household} of every household with something billable by these units in [first_day,
    last_day]."""
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids).select_related("activity")}
    bookings = (Booking.objects.filter(unit_id__in=units, day__range=(first_day, last_day), state=Booking.State.BOOKED)
                .exclude(needs_acceptance=True, accepted_at__isnull=True)
                .values_list("pk", "family_id", "child_id", "unit_id", "day", "late"))
    unbooked = (Attendance.objects.filter(unit_id__in=units, day__range=(first_day, last_day),
                                          status=Attendance.Status.UNBOOKED, booking__isnull=True)
                .values_list("child_id", "unit_id", "day", "child__links__family_id"))
    absent_unjustified = set(Attendance.objects.filter(unit_id__in=units, day__range=(first_day, last_day),
                                                       status=Attendance.Status.ABSENT, booking__absence__isnull=True)
                             .values_list("booking_id", flat=True))
    bookings, unbooked = list(bookings), list(unbooked)
    absences = {a.booking_id: a for a in Absence.objects.filter(
        booking__unit_id__in=units, booking__day__range=(first_day, last_day), booking__state=Booking.State.BOOKED)
        .select_related("booking__unit__activity")}
    billed_absences = billing_loaded(list(absences.values()), now=now)
    # Every household's address, rather than an IN list of thousands (SQLite's limit of variables).
    residency = Residency()
    residents, doubts = {}, {}
    for pk, postal_code, city in Family.objects.values_list("pk", "postal_code", "city").iterator(chunk_size=5000):
        residents[pk] = residency.resident(postal_code, city)
        if not residents[pk] and (why := residency.doubt(postal_code, city)):
            doubts[pk] = why
    quotients = History(last_day)
    tariffs = Tariffs(units)
    households, prices = {}, {}

    def household(family_id):
        if family_id not in households:
            households[family_id] = Household(family_id)
        return households[family_id]

    def price(family_id, child_id, unit_id, day):
        """(tariff, unit price, rule), or Nones: the day then stays unsure, neither billed nor credited."""
        tariff = tariffs.on(unit_id, day)
        if tariff is None:
            household(family_id).unsure.add((child_id, unit_id, day))
            household(family_id).anomalies.append(Anomaly("no_tariff", child_id, unit_id, day))
            return None, None, ""
        qf = quotients.value_on(family_id, day)
        resident = residents.get(family_id, True)
        key = (tariff.pk, qf, resident)
        if key not in prices:  # its words are the same for every household of that QF
            prices[key] = base_price(tariff, qf, resident)
        amount, rule = prices[key]
        if amount is None:
            household(family_id).unsure.add((child_id, unit_id, day))
            household(family_id).anomalies.append(Anomaly("no_tariff", child_id, unit_id, day, "no_bracket"))
            return None, None, ""
        if qf is None and resident and len(tariff.bracket_list) > 1:
            # The household's, not a child's: one line listing the days priced without it.
            household(family_id).anomalies.append(Anomaly("no_qf", day=day))
        if not resident and tariff.outside_price is not None and family_id in doubts:
            household(family_id).anomalies.append(Anomaly("residency", detail=doubts[family_id]))
        return tariff, amount, rule

    for booking_id, family_id, child_id, unit_id, day, late in bookings:
        tariff, amount, rule = price(family_id, child_id, unit_id, day)
        if tariff is None:
            continue
        entry = household(family_id)
        absence = absences.get(booking_id)
        kind = Kind.BOOKED
        if absence is not None:
            verdict = billed_absences[absence.pk]
            if verdict.billed is None:
                entry.unsure.add((child_id, unit_id, day))
                entry.anomalies.append(Anomaly("absence_pending", child_id, unit_id, day, verdict.why))
                continue
            if not verdict.billed:
                continue
            kind, rule = Kind.ABSENCE, f"{rule} ; {_('absence facturée')} : {verdict.why}"
        elif booking_id in absent_unjustified:
            entry.anomalies.append(Anomaly("absent_unjustified", child_id, unit_id, day))
        entry.charges[(child_id, unit_id, day, kind)] = Charge(child_id, unit_id, day, kind, amount, rule, tariff.cesu)
        if late:
            extra = surcharge(tariff.late_kind, tariff.late_value, amount) if tariff.late_kind \
                else money(units[unit_id].activity.late_surcharge or 0)
            if extra:
                entry.charges[(child_id, unit_id, day, Kind.LATE)] = Charge(
                    child_id, unit_id, day, Kind.LATE, extra, _("réservation après le délai : majoration de %(amount)s")
                    % {"amount": euros(extra)}, tariff.cesu)
    # A shared child present without booking: the households it is linked to, the first billed and told apart.
    families_of = {}
    for child_id, unit_id, day, family_id in unbooked:
        if family_id is not None:
            families_of.setdefault((child_id, unit_id, day), []).append(family_id)
    for (child_id, unit_id, day), family_list in families_of.items():
        family_id = min(family_list)
        if len(family_list) > 1:
            household(family_id).anomalies.append(Anomaly("shared_unbooked", child_id, unit_id, day))
        tariff, amount, rule = price(family_id, child_id, unit_id, day)
        if tariff is None:
            continue
        extra = surcharge(tariff.unbooked_kind, tariff.unbooked_value, amount)
        if extra:
            rule = _("%(rule)s, majoré de %(amount)s") % {"rule": rule, "amount": euros(extra)}
        entry = household(family_id)
        entry.anomalies.append(Anomaly("unbooked", child_id, unit_id, day))
        entry.charges[(child_id, unit_id, day, Kind.UNBOOKED)] = Charge(child_id, unit_id, day, Kind.UNBOOKED,
                                                                        amount + extra, rule, tariff.cesu)
    return households
