"""What a régie should bill each household over a span of days, day by day, with the rule that set each price.

Read in a fixed number of queries for a whole run: the bookings held (a place offered from the waiting list
counts once accepted), the absences and whether each is billed (activities.absences), the children present
without booking, the tariffs and the QF history. The result is compared with what was already billed
(BilledDay) by runs.py: what is new is billed, what changed is credited.
"""

import datetime
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from enfance.activities.absences import billing_loaded
from enfance.activities.models import Absence, Attendance, Booking, Unit
from enfance.families.models import Family

from .models import InvoiceLine, Tariff
from .money import ZERO, euros, money, percent_of
from .quotients import History

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


@dataclass
class Household:
    family_id: int
    charges: dict = field(default_factory=dict)  # (child, unit, day, kind) -> Charge
    anomalies: list = field(default_factory=list)  # (kind, text)
    unsure: set = field(default_factory=set)  # (child, unit, day): not known yet (a certificate may come)


def _normalise(text):
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().casefold()
    return " ".join(text.replace("-", " ").split())


def _day(day):
    return date_format(day, "j F Y")


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
    # Every household's city, rather than an IN list of thousands (SQLite's limit of variables).
    commune = _normalise(settings.COMMUNE_NAME)
    residents = {pk: _normalise(city) == commune for pk, city in Family.objects.values_list("pk", "city")}
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
            household(family_id).anomalies.append(("no_tariff", _("%(unit)s : pas de tarif le %(day)s, jour non facturé.")
                                                   % {"unit": _unit_name(units[unit_id]), "day": _day(day)}))
            return None, None, ""
        qf = quotients.value_on(family_id, day)
        resident = residents.get(family_id, True)
        key = (tariff.pk, qf, resident)
        if key not in prices:  # its words are the same for every household of that QF
            prices[key] = base_price(tariff, qf, resident)
        amount, rule = prices[key]
        if amount is None:
            household(family_id).unsure.add((child_id, unit_id, day))
            household(family_id).anomalies.append(("no_tariff", _("%(unit)s : tarif sans tranche le %(day)s.")
                                                   % {"unit": _unit_name(units[unit_id]), "day": _day(day)}))
            return None, None, ""
        if qf is None and resident and len(tariff.bracket_list) > 1:
            household(family_id).anomalies.append(("no_qf", _("Pas de quotient familial : tranche la plus haute.")))
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
                entry.anomalies.append(("absence_pending", _("Absence du %(day)s : %(why)s")
                                        % {"day": _day(day), "why": verdict.why}))
                continue
            if not verdict.billed:
                continue
            kind, rule = Kind.ABSENCE, f"{rule} ; {_('absence facturée')} : {verdict.why}"
        elif booking_id in absent_unjustified:
            entry.anomalies.append(("absent_unjustified", _("Réservé et absent sans absence signalée le %(day)s.")
                                    % {"day": _day(day)}))
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
            household(family_id).anomalies.append(("shared_unbooked", _(
                "Présent sans réservation le %(day)s, enfant en garde partagée : vérifiez le foyer facturé.")
                % {"day": _day(day)}))
        tariff, amount, rule = price(family_id, child_id, unit_id, day)
        if tariff is None:
            continue
        extra = surcharge(tariff.unbooked_kind, tariff.unbooked_value, amount)
        if extra:
            rule = _("%(rule)s, majoré de %(amount)s") % {"rule": rule, "amount": euros(extra)}
        entry = household(family_id)
        entry.anomalies.append(("unbooked", _("Présent sans réservation le %(day)s.") % {"day": _day(day)}))
        entry.charges[(child_id, unit_id, day, Kind.UNBOOKED)] = Charge(child_id, unit_id, day, Kind.UNBOOKED,
                                                                        amount + extra, rule, tariff.cesu)
    return households


def _unit_name(unit):
    return f"{unit.activity.name} – {unit.name}"
