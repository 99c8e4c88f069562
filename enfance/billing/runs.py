"""Invoice runs: a preview that stores a pool of draft invoices and lists the anomalies, then the issue that
promotes exactly those drafts, numbered without gap.

Safe to stop and to run again:
- the preview deletes its own drafts first, so a preview killed halfway is started over;
- the issue promotes the drafts in batches, each in one transaction that takes its numbers from the locked
  counter row and writes the billed days: a worker killed mid-batch leaves that batch in draft and no number
  used; `issue` called again goes on from there;
- what was billed is in BilledDay, which the database keeps unique: a run over days already billed bills
  only what is new, and credits (a credit note naming the invoice and the day) what is no longer due.
"""

import datetime
import hashlib
import json
import logging
from itertools import groupby

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Min, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.activities.models import Absence, Activity, Attendance, Booking, CalendarPeriod, Unit
from enfance.families.models import Child, ChildLink, Family

from . import billing_identity, ledger, pricing
from .models import (
    Allocation,
    BilledDay,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceRun,
    Quotient,
    Tariff,
    TariffBracket,
)
from .money import ZERO, line_amount
from .words import days_phrase

Kind = InvoiceLine.Kind
logger = logging.getLogger(__name__)
State = InvoiceRun.State
# Days before the period whose outcome may still change after they were billed (a medical certificate within
# its delay, an attendance corrected): each run looks back this far to credit them.
REACH = datetime.timedelta(days=62)
CHUNK = 500  # households per transaction of a preview
KIND_ORDER = {kind: i for i, kind in enumerate(Kind.values)}  # a household's lines: booked days first
ANOMALY_ORDER = {kind: i for i, kind in enumerate(pricing.ANOMALY_KINDS)}  # a household's anomalies


class RunError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def start(regie, first_day, last_day, *, user):
    """A new run for the period, in preview: RunError if another run of the régie is open."""
    if last_day < first_day:
        raise RunError(_("La fin de la période est avant son début."))
    if (last_day - first_day).days > 92:
        raise RunError(_("Facturez trois mois au plus à la fois."))
    try:
        with transaction.atomic():
            return InvoiceRun.objects.create(regie=regie, first_day=first_day, last_day=last_day, created_by=user,
                                             heartbeat_at=timezone.now())
    except IntegrityError:
        raise RunError(_("Une facturation de cette régie est déjà en cours : émettez-la ou abandonnez-la d'abord.")) \
            from None


def _unit_ids(regie):
    return list(Unit.objects.filter(activity__regie_link__regie=regie).values_list("pk", flat=True))


def _window(run):
    """The first day a run looks at: its period's, or up to REACH earlier where earlier runs billed."""
    billed_from = (InvoiceRun.objects.filter(regie=run.regie_id, state=State.ISSUED)
                   .aggregate(first=Min("first_day"))["first"])
    if billed_from is None or billed_from >= run.first_day:
        return run.first_day
    return max(run.first_day - REACH, billed_from)


def fingerprint(unit_ids, first_day, last_day):
    """A digest of what pricing reads over the days: bookings, absences, attendance, the tariffs and their
    brackets, the QF history, the households' cities, the activities' rules, the calendar and what was billed.
    Taken before the preview prices, compared by the issue: a change made while the preview priced refuses it
    too."""
    digest = hashlib.sha256()
    span = (first_day, last_day)
    # A child present without booking is billed to the households it is linked to (pricing.price_households).
    unbooked_children = Attendance.objects.filter(unit_id__in=unit_ids, day__range=span,
                                                  booking__isnull=True).values("child_id")

    def billed(family):
        # EXISTS, probed per household on the (family, day) index. `IN (bookings) OR IN (links)` was planned by
        # PostgreSQL as a scan of the month's bookings for every household once they no longer fit in
        # work_mem: hours for a commune of 20,000 households (bench/billing_run.py).
        return (Exists(Booking.objects.filter(family_id=OuterRef(family), unit_id__in=unit_ids, day__range=span))
                | Exists(ChildLink.objects.filter(family_id=OuterRef(family), child_id__in=unbooked_children)))
    sources = [
        ChildLink.objects.filter(child_id__in=unbooked_children).order_by("pk").values_list(
            "pk", "child_id", "family_id"),
        Booking.objects.filter(unit_id__in=unit_ids, day__range=span).order_by("pk").values_list(
            "pk", "state", "late", "needs_acceptance", "accepted_at", "family_id"),
        Absence.objects.filter(booking__unit_id__in=unit_ids, booking__day__range=span).order_by("pk").values_list(
            "pk", "reason", "declared_at", "certificate_received_at", "justified_by_id"),
        Attendance.objects.filter(unit_id__in=unit_ids, day__range=span).order_by("pk").values_list(
            "pk", "status", "booking_id"),
        Tariff.objects.filter(unit_id__in=unit_ids).order_by("pk").values_list(
            "pk", "valid_from", "valid_until", "outside_price", "late_kind", "late_value", "unbooked_kind",
            "unbooked_value", "cesu"),
        TariffBracket.objects.filter(tariff__unit_id__in=unit_ids).order_by("pk").values_list(
            "pk", "qf_max", "price", "label"),
        # The households with bookings there only: a household created elsewhere meanwhile changes nothing.
        Quotient.objects.filter(billed("family_id"), valid_from__lte=last_day).order_by("pk").values_list(
            "pk", "value", "valid_from"),
        Family.objects.filter(billed("pk")).order_by("pk").values_list(
            "pk", "postal_code", "city"),
        Activity.objects.filter(units__in=unit_ids).distinct().order_by("pk").values_list(
            "pk", "cancellation_rule", "late_surcharge", "certificate_days", "waiting_days"),
        CalendarPeriod.objects.order_by("pk").values_list("pk", "first_day", "last_day", "activity_id", "kind"),
        BilledDay.objects.filter(unit_id__in=unit_ids, day__range=span).order_by("pk").values_list(
            "pk", "credited_by_id"),
    ]
    for rows in sources:
        for row in rows.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
        digest.update(b"|")
    return digest.hexdigest()


def _claim(run_id):
    """Take the next attempt of a run in preview, its earlier drafts deleted: (run, attempt)."""
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update(of=("self",)).select_related("regie").get(pk=run_id)
        if run.state != State.PREVIEWING:
            raise RunError(_("Cette facturation n'est plus en prévisualisation."))
        # Drafts have no billed days and no allocations: deleted in two statements, without the collector.
        InvoiceLine.objects.filter(invoice__run=run, invoice__state=Invoice.State.DRAFT)._raw_delete(
            InvoiceLine.objects.db)
        Invoice.objects.filter(run=run, state=Invoice.State.DRAFT)._raw_delete(Invoice.objects.db)
        run.attempt += 1
        run.households_done, run.anomalies, run.error, run.heartbeat_at = 0, [], "", timezone.now()
        run.save(update_fields=["attempt", "households_done", "anomalies", "error", "heartbeat_at"])
    return run, run.attempt


def _still_mine(run_id, attempt):
    """The run, locked, if this attempt still holds it in preview; else None (discarded, taken over). Its
    anomalies are not read: each chunk appends its own (_append_anomalies)."""
    return (InvoiceRun.objects.select_for_update().filter(pk=run_id, state=State.PREVIEWING, attempt=attempt)
            .defer("anomalies").first())


def _append_anomalies(run, anomalies):
    """Add a chunk's anomalies to the locked run's list. On PostgreSQL the database appends them (jsonb ||), so
    that a chunk neither reads nor sends back the anomalies of the chunks before it; elsewhere (SQLite, the
    embedded default) the list is read and written again, under the same lock."""
    if not anomalies:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {InvoiceRun._meta.db_table} SET anomalies = anomalies || %s::jsonb "  # noqa: S608
                           f"WHERE id = %s", [json.dumps(anomalies), run.pk])
        return
    current = InvoiceRun.objects.filter(pk=run.pk).values_list("anomalies", flat=True).first() or []
    InvoiceRun.objects.filter(pk=run.pk).update(anomalies=[*current, *anomalies])


def _analyze_drafts():
    """A preview writes thousands of drafts at once; autovacuum analyses the tables only later, and until then
    PostgreSQL plans the issue's UPDATE ... FROM VALUES of a batch as a scan of the invoices per row (2.7 s a
    batch of 500 instead of 0.05 s on 15,000 households). ANALYZE reads a sample: a fraction of a second."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Invoice._meta.db_table}, {InvoiceLine._meta.db_table}")


def _anomaly_rows(household, reference, made, children, unit_names, first_day):
    """The household's anomalies, one per child, unit, kind and detail, their days listed in order: "absent
    sans absence signalée les 3, 4 et 10 novembre", never the same line once a day. Only the run's own days:
    the look-back's earlier days were the earlier runs' anomalies (a correction they need is a credit line)."""
    groups = {}
    for anomaly in household.anomalies:
        if anomaly.day is not None and anomaly.day < first_day:
            continue
        key = (anomaly.kind, anomaly.child_id, anomaly.unit_id, anomaly.detail)
        groups.setdefault(key, set())
        if anomaly.day is not None:
            groups[key].add(anomaly.day)

    def order(item):
        (kind, child_id, unit_id, detail), days = item
        return (ANOMALY_ORDER.get(kind, len(ANOMALY_ORDER)), children.get(child_id, ""), unit_names.get(unit_id, ""),
                min(days, default=datetime.date.min), detail)

    rows = []
    for (kind, child_id, unit_id, detail), days in sorted(groups.items(), key=order):
        days = sorted(days)
        rows.append({"family": reference, "family_id": household.family_id, "kind": kind,
                     "child_id": child_id, "child": children.get(child_id, "") if child_id else "",
                     "unit_id": unit_id, "unit": unit_names.get(unit_id, "") if unit_id else "",
                     "days": [d.isoformat() for d in days], "text": pricing.anomaly_text(kind, days, detail)})
    for invoice, lines in made:
        if invoice.kind == Invoice.Kind.INVOICE and lines and invoice.total == ZERO:
            rows.append({"family": reference, "family_id": household.family_id, "kind": "zero", "child_id": None,
                         "child": "", "unit_id": None, "unit": "", "days": [],
                         "text": pricing.anomaly_text("zero", [])})
    return rows


def preview(run_id, *, now=None):
    """Price every household and store the drafts of the run (its earlier drafts deleted first). A preview
    discarded or started again meanwhile stops at its next step, having written nothing more."""
    now = now or timezone.now()
    run, attempt = _claim(run_id)
    units = _unit_ids(run.regie)
    first = _window(run)
    digest = fingerprint(units, first, run.last_day)
    households = pricing.price_households(units, first, run.last_day, now=now)
    billed = {}
    for row in (BilledDay.objects.filter(unit_id__in=units, day__range=(first, run.last_day),
                                         credited_by__isnull=True)
                .values_list("family_id", "child_id", "unit_id", "day", "kind", "amount", "line__invoice_id",
                             "line__invoice__number", "line__cesu").iterator(chunk_size=5000)):
        billed.setdefault(row[0], []).append(row)
    family_ids = sorted(set(households) | set(billed))
    with transaction.atomic():
        if _still_mine(run_id, attempt) is None:
            return InvoiceRun.objects.get(pk=run_id)
        InvoiceRun.objects.filter(pk=run_id).update(households_total=len(family_ids), fingerprint=digest,
                                                    heartbeat_at=timezone.now())
    children, full_names = {}, {}
    for pk, first_name, last_name in Child.objects.values_list("pk", "first_name", "last_name").iterator(
            chunk_size=5000):
        children[pk], full_names[pk] = first_name, f"{first_name} {last_name}".strip()
    unit_names = {u.pk: f"{u.activity.name} – {u.name}" for u in Unit.objects.filter(pk__in=units).select_related("activity")}
    references = dict(Family.objects.values_list("pk", "reference"))
    for start_at in range(0, len(family_ids), CHUNK):
        chunk = family_ids[start_at:start_at + CHUNK]
        anomalies = []
        drafts = []
        for family_id in chunk:
            household = households.get(family_id) or pricing.Household(family_id)
            made = _drafts(run, household, billed.get(family_id, ()), children, unit_names)
            drafts.extend(made)
            anomalies.extend(_anomaly_rows(household, references.get(family_id, ""), made, full_names, unit_names,
                                           run.first_day))
        with transaction.atomic():
            locked = _still_mine(run_id, attempt)
            if locked is None:
                return InvoiceRun.objects.get(pk=run_id)
            Invoice.objects.bulk_create([invoice for invoice, _lines in drafts])
            lines = []
            for invoice, invoice_lines in drafts:
                for line in invoice_lines:
                    line.invoice = invoice
                    lines.append(line)
            InvoiceLine.objects.bulk_create(lines)
            _append_anomalies(locked, anomalies)
            locked.households_done += len(chunk)
            locked.heartbeat_at = timezone.now()
            locked.save(update_fields=["households_done", "heartbeat_at"])
    _analyze_drafts()
    InvoiceRun.objects.filter(pk=run_id, state=State.PREVIEWING, attempt=attempt).update(state=State.PREVIEWED)
    return InvoiceRun.objects.get(pk=run_id)


def _drafts(run, household, billed_rows, children, unit_names):
    """[(draft Invoice, [InvoiceLine])]: the household's invoice of what is new, and a credit note per invoice
    that billed a day no longer due. `billed_rows`: (family, child, unit, day, kind, amount, invoice id, its
    number, whether CESU may pay its line) of the days billed and not credited."""
    made = []
    already = {(r[1], r[2], r[3], r[4]) for r in billed_rows}
    new = [c for key, c in household.charges.items() if key not in already]
    if new:
        lines = _lines(new, children, unit_names)
        made.append((Invoice(regie_id=run.regie_id, family_id=household.family_id, run=run, first_day=run.first_day,
                             last_day=run.last_day, total=sum((line.amount for line in lines), ZERO)), lines))
    stale = [r for r in billed_rows if (r[1], r[2], r[3], r[4]) not in household.charges
             and (r[1], r[2], r[3]) not in household.unsure]
    stale.sort(key=lambda r: (r[6], r[1], r[2], r[4], r[5], r[8], r[3]))
    for invoice_id, rows in groupby(stale, key=lambda r: r[6]):
        rows = list(rows)
        lines = []
        # A credit takes back what its line was: childcare (CESU may pay it, the tax certificate counts it) or not.
        for (child_id, unit_id, kind, amount, cesu), group in groupby(rows, key=lambda r: (r[1], r[2], r[4], r[5],
                                                                                           r[8])):
            days = [r[3] for r in group]
            lines.append(InvoiceLine(
                child_id=child_id, unit_id=unit_id, kind=Kind.CREDIT, credits_kind=kind, corrects_id=invoice_id,
                cesu=cesu,
                label=_label(children, unit_names, child_id, unit_id),
                days=[d.isoformat() for d in days], quantity=len(days), unit_price=amount,
                amount=line_amount(len(days), amount),
                rule=(_("Facturé sur la facture %(number)s (%(kind)s), n'est plus dû : %(days)s") % {
                    "number": rows[0][7], "kind": Kind(kind).label, "days": days_phrase(days)})[:300]))
        made.append((Invoice(regie_id=run.regie_id, family_id=household.family_id, run=run,
                             kind=Invoice.Kind.CREDIT_NOTE, corrects_id=invoice_id, first_day=run.first_day,
                             last_day=run.last_day, total=sum((line.amount for line in lines), ZERO)), lines))
    return made


def _label(children, unit_names, child_id, unit_id):
    return f"{children.get(child_id, '')} – {unit_names.get(unit_id, '')}"


def _lines(charges, children, unit_names):
    """One line per child, unit, kind, price and rule, its days in order; each amount rounded once."""
    def key(c):
        return (c.child_id, c.unit_id, KIND_ORDER[c.kind], c.price, c.rule, c.cesu)

    lines = []
    for (child_id, unit_id, _kind_index, price, rule, _cesu), group in groupby(sorted(charges, key=lambda c: (key(c), c.day)),
                                                                         key=key):
        group = list(group)
        lines.append(InvoiceLine(child_id=child_id, unit_id=unit_id, kind=group[0].kind,
                                 label=_label(children, unit_names, child_id, unit_id),
                                 days=[c.day.isoformat() for c in group], quantity=len(group), unit_price=price,
                                 amount=line_amount(len(group), price), rule=rule[:300], cesu=group[0].cesu))
    return lines


def issue(run_id, *, now=None, batch=200):
    """Promote the run's drafts: RunError when what the preview priced changed since (preview again)."""
    now = now or timezone.now()
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update(of=("self",)).select_related("regie").get(pk=run_id)
        if run.state == State.PREVIEWED:
            if fingerprint(_unit_ids(run.regie), _window(run), run.last_day) != run.fingerprint:
                raise RunError(_("Des réservations, absences ou présences ont changé depuis la prévisualisation : "
                                 "prévisualisez à nouveau avant d'émettre."))
            run.state, run.households_done, run.error, run.heartbeat_at = State.ISSUING, 0, "", timezone.now()
            run.issue_started_at = now
            run.save(update_fields=["state", "households_done", "error", "heartbeat_at", "issue_started_at"])
        elif run.state != State.ISSUING:
            raise RunError(_("Cette facturation n'est pas prête à être émise (%(state)s).")
                           % {"state": run.get_state_display().lower()})
        # Resumed or not, every batch is dated by the issue's start: one issue date, one due date, one year.
        started = run.issue_started_at or now
    while _issue_batch(run_id, started, batch):
        pass
    return InvoiceRun.objects.get(pk=run_id)


def _issue_batch(run_id, now, batch):
    """One batch of drafts issued in one transaction; False once none is left (the run is then issued)."""
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update(of=("self",)).select_related("regie").get(pk=run_id)
        if run.state != State.ISSUING:
            return False
        # Credit notes before invoices within a household: the invoice's previous balance counts them.
        drafts = list(Invoice.objects.filter(run=run, state=Invoice.State.DRAFT).order_by("family_id", "kind", "pk")
                      [:batch])
        if not drafts:
            run.state, run.issued_at, run.households_done = State.ISSUED, now, run.households_total
            run.save(update_fields=["state", "issued_at", "households_done"])
            transaction.on_commit(lambda: _enqueue_after_issue(run_id), robust=True)
            return False
        last = drafts[-1].family_id
        if len(drafts) == batch:  # a household's drafts all in one batch
            drafts = [d for d in drafts if d.family_id != last] or drafts
        _promote(run, drafts, now)
        done = len({d.family_id for d in drafts})
        run.households_done = min(run.households_total, run.households_done + done)
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["households_done", "heartbeat_at"])
        return True


def _enqueue_after_issue(run_id):
    from .tasks import after_issue

    after_issue.enqueue(run_id)


def after_issue(run_id):
    """What follows an issue, in its own task: the PDFs archived, the households told. (The credits were given
    in the issue's own transaction: `_take_credit`.)"""
    from enfance.documents import invoice as invoice_pdf

    from . import notices

    run = InvoiceRun.objects.select_related("regie").get(pk=run_id)
    try:  # each issued invoice's PDF/A, made once and stored, in batches; a failure is logged, the sweep retries
        invoice_pdf.archive(Invoice.objects.filter(run=run, state=Invoice.State.ISSUED, pdf="")
                            .values_list("pk", flat=True))
    except Exception:
        logger.exception("Archiving the PDFs of run %s failed", run_id)
    notices.tell_issued(run_id)


def number(regie, kind, year, n):
    """"CANT2026000042", "CANTAV2026000003": letters and digits only, as PayFiP's payment reference wants."""
    return f"{regie.code}{'AV' if kind == Invoice.Kind.CREDIT_NOTE else ''}{year}{n:06d}"


def _take_numbers(regie, kind, year, count):
    InvoiceCounter.objects.get_or_create(regie=regie, kind=kind, year=year)
    counter = InvoiceCounter.objects.select_for_update().get(regie=regie, kind=kind, year=year)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return [number(regie, kind, year, n) for n in range(first, first + count)]


def _promote(run, drafts, now):
    regie, year = run.regie, timezone.localdate(now).year
    due = timezone.localdate(now) + datetime.timedelta(days=regie.payment_days)
    numbers = {kind: iter(_take_numbers(regie, kind, year, sum(1 for d in drafts if d.kind == kind)))
               for kind in {d.kind for d in drafts}}
    owed = ledger.balances(regie, {d.family_id for d in drafts})
    families = {f.pk: f for f in Family.objects.filter(pk__in={d.family_id for d in drafts}).prefetch_related("guardians")}
    for draft in drafts:
        family = families[draft.family_id]
        draft.number, draft.state, draft.issued_at = next(numbers[draft.kind]), Invoice.State.ISSUED, now
        draft.due_on = due if draft.kind == Invoice.Kind.INVOICE else None
        draft.previous_balance = owed[draft.family_id]
        owed[draft.family_id] += draft.signed_total
        draft.billed_to = billing_identity.billed_to(family)
    _mark_issued(drafts, now)
    _write_billed_days([d.pk for d in drafts])
    for line in InvoiceLine.objects.filter(invoice__in=[d for d in drafts if d.is_credit_note], kind=Kind.CREDIT):
        if line.kind == Kind.CREDIT:
            BilledDay.objects.filter(line__invoice_id=line.corrects_id, child_id=line.child_id, unit_id=line.unit_id,
                                     kind=line.credits_kind, day__in=line.days,
                                     credited_by__isnull=True).update(credited_by=line)
    _take_credit(regie, drafts)


def _take_credit(regie, drafts):
    """In the issue's transaction: what credit notes free on invoices already paid, then the credit the accounts
    hold, given to the new invoices (payments.allocate_credit, which locks each household's row), and what each
    invoice took written on it (`credit_applied`): its PDF, made later or on demand, deducts exactly that. Only
    the households with a credit or a credit note: none in most runs."""
    from . import payments

    noted = {d.family_id for d in drafts if d.is_credit_note and d.corrects_id}
    involved = noted | ledger.with_free_credit(regie, {d.family_id for d in drafts})
    if not involved:
        return
    # Every household touched locked first, in one order: another régie's issue locking some of them cannot
    # deadlock with this one (release_overpaid and allocate_credit lock them again, one at a time).
    list(Family.objects.select_for_update(no_key=True).filter(pk__in=involved).order_by("pk").values_list("pk"))
    for note in drafts:
        if note.is_credit_note and note.corrects_id:
            payments.release_overpaid(note.corrects_id)
    families = ledger.with_free_credit(regie, involved)
    for family in Family.objects.filter(pk__in=families).order_by("pk"):
        payments.allocate_credit(regie, family)
    invoices = [d for d in drafts if d.family_id in families and not d.is_credit_note]
    taken = dict(Allocation.objects.filter(invoice__in=invoices).values("invoice_id")
                 .annotate(total=Sum("amount")).values_list("invoice_id", "total"))
    for invoice in invoices:
        invoice.credit_applied = taken.get(invoice.pk, ZERO)
        if invoice.credit_applied:
            Invoice.objects.filter(pk=invoice.pk).update(credit_applied=invoice.credit_applied)


def _mark_issued(drafts, now):
    """Write the drafts' numbers, balances and addresses: one UPDATE from a VALUES list on PostgreSQL (Django's
    bulk_update builds a CASE per field and row, most of an issue's time on 20,000 households)."""
    if connection.vendor != "postgresql":
        Invoice.objects.bulk_update(drafts, ["number", "state", "issued_at", "due_on", "previous_balance",
                                             "billed_to"])
        return
    table = Invoice._meta.db_table
    rows = ", ".join(["(%s::bigint, %s, %s::date, %s::numeric, %s::jsonb)"] * len(drafts))
    params = [value for d in drafts for value in (d.pk, d.number, d.due_on, d.previous_balance,
                                                  json.dumps(d.billed_to))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS i SET number = v.number, state = %s, issued_at = %s, due_on = v.due, "  # noqa: S608
            f"previous_balance = v.previous, billed_to = v.billed FROM (VALUES {rows}) "
            f"AS v(id, number, due, previous, billed) WHERE i.id = v.id",
            [Invoice.State.ISSUED, now, *params])


def _write_billed_days(invoice_ids):
    """A BilledDay per day of every line of these invoices but corrections, written by the database from the
    lines' JSON days (a month of 20,000 households is some 300,000 rows: too many to build in Python)."""
    if not invoice_ids:
        return
    days = ("jsonb_array_elements_text(l.days) AS d(value)" if connection.vendor == "postgresql"
            else "json_each(l.days) AS d")
    day = "d.value::date" if connection.vendor == "postgresql" else "d.value"
    billed, line, invoice = BilledDay._meta.db_table, InvoiceLine._meta.db_table, Invoice._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {billed} (line_id, family_id, child_id, unit_id, day, kind, amount, credited_by_id) "  # noqa: S608
            f"SELECT l.id, i.family_id, l.child_id, l.unit_id, {day}, l.kind, l.unit_price, NULL "
            f"FROM {line} l JOIN {invoice} i ON i.id = l.invoice_id, {days} "
            f"WHERE l.invoice_id IN ({', '.join(['%s'] * len(invoice_ids))}) AND l.kind <> %s",
            [*invoice_ids, Kind.CREDIT])


def discard(run_id):
    """Abandon a preview: its drafts are marked discarded (kept: the run's history says what it proposed)."""
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update().get(pk=run_id)
        if run.state not in (State.PREVIEWING, State.PREVIEWED, State.FAILED):
            raise RunError(_("Une facturation en cours d'émission ou émise ne s'abandonne pas."))
        # A failed issue keeps what it issued; only its drafts are given up.
        Invoice.objects.filter(run=run, state=Invoice.State.DRAFT).update(state=Invoice.State.DISCARDED)
        run.state = State.DISCARDED
        run.save(update_fields=["state"])
    return run
