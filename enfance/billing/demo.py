"""The demo commune's billing: a régie, tariffs by QF bracket that the demo households fall into, two past
months of bookings invoiced (most paid, one partly, one overdue with its previous balance carried to the next),
a credit note and desk payments, so that every billing page shows real use.

Runs after activities.demo, through the same services as staff (runs.start, preview, issue; payments.record).
"""

import datetime
import random
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone

from enfance.activities import bookings
from enfance.activities.bookings import Line
from enfance.activities.calendar import OpeningCalendar
from enfance.activities.models import Absence, Activity, Attendance, Booking, Place, Registration
from enfance.families.models import CafInfo, Guardian, TaxInfo

from . import payments, quotients, runs
from .models import Invoice, InvoiceRun, Payment, Quotient, Regie, RegieActivity, Tariff, TariffBracket

SEED = 1789
# (QF up to, price) per kind of activity: the municipal council's deliberation of June 2026.
BRACKETS = {
    Activity.Kind.CANTEEN: [(450, "1.00"), (750, "2.40"), (1100, "3.45"), (None, "4.15")],
    Activity.Kind.CARE: [(450, "0.80"), (750, "1.30"), (1100, "1.90"), (None, "2.40")],
    Activity.Kind.LEISURE: [(450, "6.00"), (750, "9.50"), (1100, "13.00"), (None, "16.50")],
}
OUTSIDE = {Activity.Kind.CANTEEN: "5.20", Activity.Kind.CARE: "3.00", Activity.Kind.LEISURE: "21.00"}


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _month_start(day, back):
    for _ in range(back):
        day = day.replace(day=1) - datetime.timedelta(days=1)
    return day.replace(day=1)


def populate(*, staff, today=None):
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    regie = Regie.objects.create(
        name="Régie enfance de Tourrettes", code="TOUR", payment_days=21,
        address="Mairie de Tourrettes, place de la Mairie, 83440 Tourrettes",
        hours="Lundi, mardi et jeudi de 8 h 30 à 12 h ; mercredi de 14 h à 17 h",
        # A Treasury account (bank code 10071), its check digits valid: the invoices offer the transfer.
        transfer_iban="FR7610071830000000100000069", transfer_bic="TRPUFRP1XXX")
    school_year = datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    for activity in Activity.objects.all():
        RegieActivity.objects.create(regie=regie, activity=activity)
        for unit in activity.units.prefetch_related("places"):
            # CESU pays childcare, never a meal: the canteen and a leisure centre's lunch alone.
            meal = activity.kind == Activity.Kind.CANTEEN or {p.slot for p in unit.places.all()} == {Place.Slot.LUNCH}
            tariff = Tariff.objects.create(unit=unit, valid_from=school_year, outside_price=Decimal(OUTSIDE[activity.kind]),
                                           cesu=not meal,
                                           late_kind=Tariff.Surcharge.PERCENT, late_value=Decimal("20"),
                                           unbooked_kind=Tariff.Surcharge.FIXED, unbooked_value=Decimal("2.00"))
            for i, (qf_max, price) in enumerate(BRACKETS[activity.kind], start=1):
                TariffBracket.objects.create(tariff=tariff, label=f"Tranche {i}", qf_max=qf_max, price=Decimal(price))
    _quotients(school_year)
    first, second = _month_start(today, 2), _month_start(today, 1)
    _past_bookings(first, second - datetime.timedelta(days=1) + datetime.timedelta(days=31), today, staff)
    end_first = second - datetime.timedelta(days=1)
    end_second = today.replace(day=1) - datetime.timedelta(days=1)
    issued_first = _at(second + datetime.timedelta(days=2), 9)
    absence = _billed_absence(first, end_first)
    _run(regie, first, end_first, staff, issued_first)
    _justify(absence, staff)
    _pay(regie, rng, staff, second + datetime.timedelta(days=8))
    issued_second = min(_at(today.replace(day=1), 9), timezone.now() - datetime.timedelta(minutes=5))
    _run(regie, second, end_second, staff, issued_second)


def _quotients(school_year):
    """The QF from the CAF data, else from the tax notice; a few households without one (the highest bracket)."""
    rows = {family_id: (value, Quotient.Source.CAF) for family_id, value in
            CafInfo.objects.filter(quotient__isnull=False).values_list("family_id", "quotient")}
    for tax in TaxInfo.objects.exclude(family_id__in=rows):
        if tax.tax_shares:
            rows[tax.family_id] = (quotients.from_tax(tax.reference_income, tax.tax_shares), Quotient.Source.TAX)
    made = Quotient.objects.bulk_create([Quotient(family_id=family_id, value=value, valid_from=school_year,
                                                  source=source) for family_id, (value, source) in rows.items()])
    # Recorded by the desk before the school year began, not on the day the demo was seeded.
    Quotient.objects.filter(pk__in=[q.pk for q in made]).update(
        created_at=_at(school_year - datetime.timedelta(days=10), 9))


def _past_bookings(first, last, today, staff):
    """The registrations' weekly patterns booked back to `first`, as they were then (before every deadline)."""
    registrations = list(Registration.objects.select_related("activity", "child", "family"))
    started = Registration.objects.aggregate(first=Min("first_day"))["first"]
    if started is None:
        return
    Registration.objects.filter(first_day__gt=first).update(first_day=first)
    calendar = OpeningCalendar.load(first - bookings.CALENDAR_REACH, last)
    by_family = {}
    for registration in registrations:
        units = {u.pk: u for u in registration.activity.units.all()}
        day = first
        while day < min(started, today):
            if calendar.is_open_day(day) and bookings.runs_on(registration.activity, day, calendar):
                for unit_id in registration.pattern.get(str(day.weekday()), ()):
                    if unit_id in units:
                        by_family.setdefault(registration.family_id, (registration.family, []))[1].append(
                            Line(registration.child, units[unit_id], day, registration))
            day += datetime.timedelta(days=1)
    before = _at(first - datetime.timedelta(days=10), 9)
    for family, lines in by_family.values():
        lines.sort(key=lambda line: (line.day, line.unit.requires_id is not None, line.unit.pk))
        bookings.book_many(family=family, lines=lines, user=staff, now=before)
    # Those days are gone: the sheets were marked, every child present, evening care with its departure.
    rng = random.Random(SEED + 1)
    collectors = {g.family_id: f"{g.first_name} {g.last_name}" for g in Guardian.objects.filter(rank=1)}
    rows = []
    for b in (Booking.objects.filter(day__gte=first, day__lt=min(started, today), state=Booking.State.BOOKED,
                                     attendance__isnull=True).select_related("unit__activity")
              .prefetch_related("unit__places")):
        kind, slots = b.unit.activity.kind, {p.slot for p in b.unit.places.all()}
        # As the sheet has it (attendance._Row.picked_up): evening care and the leisure centre record departures.
        evening = kind != Activity.Kind.CANTEEN and not (kind == Activity.Kind.CARE and slots <= {Place.Slot.MORNING})
        rows.append(Attendance(child_id=b.child_id, unit_id=b.unit_id, day=b.day, booking=b,
                               status=Attendance.Status.PRESENT, recorded_by=staff,
                               departed_at=datetime.time(17, rng.randrange(0, 60)) if evening else None,
                               collected_by=collectors.get(b.family_id, "") if evening else ""))
    Attendance.objects.bulk_create(rows)


def _run(regie, first, last, staff, now):
    """A run as staff make it on the day: started and previewed a little before its issue at `now`, so that the
    run, its invoices and their dates read in the order they happened (never started today, issued last month)."""
    run = runs.start(regie, first, last, user=staff)
    started = now - datetime.timedelta(minutes=40)
    runs.preview(run.pk, now=started)
    issued = runs.issue(run.pk, now=now)
    InvoiceRun.objects.filter(pk=run.pk).update(created_at=started, heartbeat_at=now)
    Invoice.objects.filter(run=run).update(created_at=started)
    return issued


def _billed_absence(first, last):
    """A day missed and declared too late: billed by the first run (staff accept its excuse afterwards)."""
    booking = (Booking.objects.filter(day__range=(first, last), state=Booking.State.BOOKED, absence__isnull=True,
                                      unit__activity__kind=Activity.Kind.CANTEEN).order_by("day", "pk").first())
    if booking is None:
        return None
    Attendance.objects.filter(booking=booking).update(status=Attendance.Status.ABSENT)
    return Absence.objects.create(booking=booking, reason=Absence.Reason.OTHER, note="Rendez-vous médical",
                                  declared_at=_at(booking.day, 8, 15))


def _justify(absence, staff):
    """Staff accept the excuse after the issue: the next run credits the day by a credit note naming the invoice."""
    if absence is not None:
        absence.justified_by, absence.justification = staff, "Hospitalisation : bulletin reçu à l'accueil"
        absence.save(update_fields=["justified_by", "justification"])


def _pay(regie, rng, staff, received_on):
    """Most households pay the first invoice at the desk; one pays half; one nothing (overdue, carried on)."""
    invoices = list(Invoice.objects.filter(regie=regie, state=Invoice.State.ISSUED, kind=Invoice.Kind.INVOICE)
                    .select_related("family").order_by("number"))
    means = ["cheque", "cheque", "transfer", "cash", "cesu"]
    for index, invoice in enumerate(invoices):
        if index == 1:
            continue  # overdue: nothing paid
        amount = (invoice.total / 2).quantize(Decimal("0.01")) if index == 2 else invoice.total
        kind = means[index % len(means)] if index != 2 else "cheque"
        if kind == "cesu":
            kind = "cheque"  # CESU would leave the meals unpaid: the demo keeps its story simple
        reference = f"{rng.randrange(1000000, 9999999)}" if kind == "cheque" else ""
        payment = payments.record(regie=regie, family=invoice.family, means=kind, amount=amount,
                                  received_on=received_on, reference=reference, user=staff)
        # Recorded at the desk on the day it was received.
        Payment.objects.filter(pk=payment.pk).update(recorded_at=_at(received_on, 10, index % 60))
