#!/usr/bin/env python3
"""The invoice run of a month on a generated commune: pricing and issuing every household's invoice.

On a database filled by `manage.py generate_commune --families 20000` (see bench/README.md). In-process, as
the worker runs it (runs.preview then runs.issue), with DEBUG off. Before the run, on this database only:
- a régie billing every activity, and tariffs of four QF brackets for every unit that has none;
- each household's QF from its CAF data (from 1 September);
- the month's bookings from the registrations' weekly patterns (school days), written in bulk;
- every earlier invoice, run and payment of the bench régie deleted, so that runs are repeatable.
Prints the households, invoices and lines, then the time of the preview, of the issue and of both per household;
with --pdfs, the time of archiving the invoices' PDF/A (documents.invoice.archive) per invoice.
"""

import argparse
import datetime
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = "BENCH"


def setup(month):
    from enfance.activities.calendar import OpeningCalendar
    from enfance.activities.models import Activity, Booking, Registration, Unit
    from enfance.billing.models import (
        Allocation,
        BilledDay,
        Invoice,
        InvoiceCounter,
        InvoiceLine,
        InvoiceRun,
        Payment,
        Quotient,
        Regie,
        RegieActivity,
        Reminder,
        Tariff,
        TariffBracket,
    )
    from enfance.families.models import CafInfo

    regie, _ = Regie.objects.get_or_create(code=CODE, defaults={"name": "Régie de la mairie (bench)"})
    for activity in Activity.objects.filter(regie_link__isnull=True):
        RegieActivity.objects.create(regie=regie, activity=activity)
    for unit in Unit.objects.filter(tariffs__isnull=True):
        tariff = Tariff.objects.create(unit=unit, valid_from=datetime.date(2026, 9, 1), outside_price=Decimal("6.50"))
        for i, (qf_max, price) in enumerate([(450, "1.20"), (800, "2.60"), (1200, "3.80"), (None, "4.90")], start=1):
            TariffBracket.objects.create(tariff=tariff, label=f"Tranche {i}", qf_max=qf_max, price=Decimal(price))
    if not Quotient.objects.exists():
        Quotient.objects.bulk_create([
            Quotient(family_id=family_id, value=value, valid_from=datetime.date(2026, 9, 1), source="caf")
            for family_id, value in CafInfo.objects.filter(quotient__isnull=False).values_list("family_id", "quotient")
        ], batch_size=5000)
    first = month
    last = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    if not Booking.objects.filter(day__range=(first, last)).exists():
        calendar = OpeningCalendar.load(first, last)
        days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
        school = [d for d in days if calendar.is_school_day(d)]
        rows = []
        for reg in Registration.objects.filter(first_day__lte=last, last_day__gte=first).values(
                "child_id", "family_id", "pattern", "pk"):
            for day in school:
                for unit_id in reg["pattern"].get(str(day.weekday()), ()):
                    rows.append(Booking(child_id=reg["child_id"], family_id=reg["family_id"], unit_id=unit_id, day=day,
                                        state="booked", registration_id=reg["pk"]))
        Booking.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    # Repeatable: the bench régie's billing starts from nothing (its archived PDFs too). The last run's rows
    # went in by the thousand: analysed first, or PostgreSQL plans the deletes below as loops (20 minutes).
    from django.core.files.storage import default_storage
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE billing_billedday, billing_invoiceline, billing_invoice, billing_allocation, "
                           "billing_payment")

    for name in Invoice.objects.filter(regie=regie).exclude(pdf="").values_list("pdf", flat=True):
        default_storage.delete(name)
    Reminder.objects.filter(regie=regie).delete()
    Allocation.objects.filter(payment__regie=regie).delete()
    Payment.objects.filter(regie=regie, reverses__isnull=False).delete()
    Payment.objects.filter(regie=regie).delete()
    BilledDay.objects.filter(line__invoice__regie=regie).delete()
    InvoiceLine.objects.filter(invoice__regie=regie).delete()
    Invoice.objects.filter(regie=regie, kind="credit_note").delete()
    Invoice.objects.filter(regie=regie).delete()
    InvoiceRun.objects.filter(regie=regie).delete()
    InvoiceCounter.objects.filter(regie=regie).delete()
    return regie, first, last


def profiled(enabled, function, *args, **kwargs):
    if not enabled:
        return function(*args, **kwargs)
    import cProfile
    import pstats

    profile = cProfile.Profile()
    result = profile.runcall(function, *args, **kwargs)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2026-11", help="the month billed, YYYY-MM (default 2026-11)")
    parser.add_argument("--batch", type=int, default=500, help="invoices issued per transaction")
    parser.add_argument("--notices", action="store_true", help="also time the task that tells the households")
    parser.add_argument("--pdfs", nargs="?", type=int, const=0, default=None, metavar="N",
                        help="after the issue, time the PDF/A archiving of the run's invoices (or the first N)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of each phase")
    args = parser.parse_args()
    try:
        month = datetime.datetime.strptime(args.month, "%Y-%m").date()
    except ValueError:
        parser.error("--month: YYYY-MM")
    database = os.environ.get("DATABASE_URL", "")
    if "bench" not in database:
        raise SystemExit("DATABASE_URL must name a bench database (it deletes the bench régie's billing).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enfance.settings")
    # The households' notices are a task of their own after the issue: timed apart below.
    os.environ.update(DEBUG="0", ENFANCE_HTTPS="0", TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from enfance.billing import runs
    from enfance.billing.models import Invoice, InvoiceLine

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    regie, first, last = setup(month)
    # The month's bookings and QFs went in by bulk: PostgreSQL's statistics of those tables are stale (autovacuum
    # lags behind a bulk load), and with them it planned the fingerprint's "households with bookings" as a loop
    # over a few dozen rows, 150 s instead of 0.05 s. A commune's bookings come in over weeks, analysed.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE activities_booking, billing_quotient, billing_billedday, billing_invoice, "
                           "billing_invoiceline")
    print(f"Préparation : {time.perf_counter() - started:.1f} s")
    now = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=3), datetime.time(9)))
    run = runs.start(regie, first, last, user=None)
    t0 = time.perf_counter()
    profiled(args.profile, runs.preview, run.pk, now=now)
    t1 = time.perf_counter()
    run = profiled(args.profile, runs.issue, run.pk, now=now, batch=args.batch)
    t2 = time.perf_counter()
    households = run.households_total
    invoices = Invoice.objects.filter(run=run).count()
    lines = InvoiceLine.objects.filter(invoice__run=run).count()
    print(f"Facturation du {first:%d/%m/%Y} au {last:%d/%m/%Y} : {households} foyers, {invoices} factures, "
          f"{lines} lignes, {len(run.anomalies)} anomalies ; état {run.state}")
    per = 1000 / max(households, 1)
    print(f"  prévisualisation : {t1 - t0:.1f} s = {(t1 - t0) * per:.2f} ms par foyer")
    print(f"  émission         : {t2 - t1:.1f} s = {(t2 - t1) * per:.2f} ms par foyer")
    print(f"  total            : {t2 - t0:.1f} s = {(t2 - t0) * per:.2f} ms par foyer (objectif : 2,6 ms)")
    if args.pdfs is not None:
        from enfance.documents import invoice as invoice_pdf

        ids = list(Invoice.objects.filter(run=run, state="issued").order_by("pk").values_list("pk", flat=True))
        ids = ids[:args.pdfs] if args.pdfs else ids
        if ids:  # the compiler made and the fonts read once, as in a worker that archived before
            invoice_pdf.render(Invoice.objects.get(pk=ids[0]))
        t3 = time.perf_counter()
        stored = profiled(args.profile, invoice_pdf.archive, ids)
        elapsed = time.perf_counter() - t3
        print(f"  PDF/A archivés   : {stored} en {elapsed:.1f} s = {elapsed * 1000 / max(stored, 1):.2f} ms par "
              f"facture (objectif : 5 ms)")
    if args.notices:
        t3 = time.perf_counter()
        runs.after_issue(run.pk)
        print(f"  puis les avis aux foyers (tâche à part) : {time.perf_counter() - t3:.1f} s")


if __name__ == "__main__":
    main()
