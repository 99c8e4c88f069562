"""The staff's billing settings and invoice runs, as the back office writes and reads them: a régie and the
activities it bills, a unit's tariff and its brackets, a household's new QF, a run started, issued, abandoned
or previewed again (its work enqueued once the transaction commits), and what the run pages read in a fixed
number of queries.

Every change is in the audit trail (enfance.core.audit). The rules that need the database (one régie per
activity, no two tariffs of a unit on the same day, one open run per régie) are checked here again under a
lock, so that two administrators saving at the same moment cannot break them; the forms check them first to
put their message next to the field.
"""

import datetime
import hmac

from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.activities.models import Activity, Unit
from enfance.core import audit
from enfance.core.models import AuditEntry

from . import quotients, runs, tasks
from .models import Invoice, InvoiceCounter, InvoiceRun, Quotient, Regie, RegieActivity, Tariff, TariffBracket
from .money import ZERO, euros, money
from .words import long_date, period_phrase

State = InvoiceRun.State
OPEN = (State.PREVIEWING, State.PREVIEWED, State.ISSUING)
IN_PROGRESS = (State.PREVIEWING, State.ISSUING)


SETTINGS_CHANGED_MEANWHILE = gettext_lazy("Les réglages de paiement ont été modifiés entre-temps par quelqu'un d'autre : "
                                          "rechargez la page.")


class AdminError(Exception):
    """A refusal in French, and the form field it is about ("" for the whole form)."""

    def __init__(self, message, field=""):
        super().__init__(message)
        self.message, self.field = message, field


class AlreadyDone(runs.RunError):
    """What was asked is already done or under way (a second click, another agent): said, not an error."""


# --- régies ------------------------------------------------------------------------------------------

def regie_holders(activity_ids, regie=None):
    """{activity id: the other régie billing it} for the given activities."""
    links = RegieActivity.objects.filter(activity_id__in=activity_ids).select_related("regie")
    if regie is not None and regie.pk:
        links = links.exclude(regie=regie)
    return {link.activity_id: link.regie for link in links}


def has_issued(regie):
    return regie.pk is not None and Invoice.objects.filter(regie=regie, state=Invoice.State.ISSUED).exists()


def _regie_shown(regie, activities):
    from enfance.payments import config as payment_config  # payments builds on billing: imported when used

    return {
        "name": regie.name, "code": regie.code, "address": regie.address, "hours": regie.hours,
        "payment_days": str(regie.payment_days),
        "transfer_iban": regie.transfer_iban, "transfer_bic": regie.transfer_bic,
        "activities": ", ".join(sorted(a.name for a in activities)),
        # The PayFiP client number and mode, or the commune's payment page: who changed them, and when.
        "payment_settings": payment_config.shown(regie.payment_settings or {}),
    }


REGIE_LABELS = {"name": Regie._meta.get_field("name").verbose_name, "code": Regie._meta.get_field("code").verbose_name,
                "address": Regie._meta.get_field("address").verbose_name,
                "hours": Regie._meta.get_field("hours").verbose_name,
                "payment_days": Regie._meta.get_field("payment_days").verbose_name,
                "transfer_iban": Regie._meta.get_field("transfer_iban").verbose_name,
                "transfer_bic": Regie._meta.get_field("transfer_bic").verbose_name,
                "activities": Regie._meta.get_field("activities").verbose_name,
                "payment_settings": gettext_lazy("paiement en ligne")}


def save_regie(regie, values, activities, *, actor):
    """Create or update `regie` with `values` ({field: value}) and the activities it bills.

    AdminError when an activity is billed by another régie, when the activities change while a run of the
    régie is open, when the code changes after invoices were numbered with it, or when the régie's payment
    settings are no longer those the form's page was built from (values["payment_fingerprint"], compared under
    the régie's row lock: another administrator saved meanwhile). The régie saved, with
    `previous_payment_settings`: its payment settings as they were under the lock, before this save."""
    from enfance.payments import config as payment_config  # payments builds on billing: imported when used

    activities = list(activities)
    values = dict(values)
    seen = values.pop("payment_fingerprint", None)
    with transaction.atomic():
        creating = regie.pk is None
        if not creating:
            regie = Regie.objects.select_for_update().get(pk=regie.pk)
            current = list(Activity.objects.filter(regie_link__regie=regie).order_by("name"))
        else:
            current = []
        regie.previous_payment_settings = {} if creating else regie.payment_settings
        if seen is not None and not hmac.compare_digest(str(seen), payment_config.fingerprint(
                {} if creating else regie.payment_settings)):
            raise AdminError(str(SETTINGS_CHANGED_MEANWHILE), "")
        before = {} if creating else _regie_shown(regie, current)
        if not creating and values.get("code", regie.code) != regie.code and has_issued(regie):
            raise AdminError(_("Des factures portent déjà ce code : il ne peut plus changer."), "code")
        wanted, had = {a.pk for a in activities}, {a.pk for a in current}
        if wanted != had and not creating and regie.runs.filter(state__in=OPEN).exists():
            raise AdminError(_("Une facturation de cette régie est en cours : émettez-la ou abandonnez-la avant de "
                               "changer ses activités."), "activities")
        taken = regie_holders(wanted - had, regie)
        if taken:
            raise AdminError(taken_message(taken, activities), "activities")
        for name, value in values.items():
            setattr(regie, name, value)
        try:
            with transaction.atomic():
                regie.save()
                RegieActivity.objects.filter(regie=regie, activity_id__in=had - wanted).delete()
                RegieActivity.objects.bulk_create([RegieActivity(regie=regie, activity_id=pk)
                                                   for pk in sorted(wanted - had)])
        except IntegrityError as exc:
            # Another régie took the activity, or the name or code, a moment ago.
            taken = regie_holders(wanted - had, regie)
            if taken:
                raise AdminError(taken_message(taken, activities), "activities") from exc
            field = "code" if Regie.objects.filter(code=regie.code).exclude(pk=regie.pk).exists() else "name"
            raise AdminError(_("Une autre régie porte déjà ce nom.") if field == "name"
                             else _("Une autre régie a déjà ce code."), field) from exc
        after = _regie_shown(regie, activities)
        changes = {str(REGIE_LABELS[k]): v for k, v in audit.diff(before, after).items()}
        if creating or changes:
            audit.record(actor=actor, action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.UPDATE,
                         obj=regie, changes=changes)
    return regie


def taken_message(taken, activities):
    names = {a.pk: a.name for a in activities}
    return " ".join(_("« %(activity)s » est déjà encaissée par la régie « %(regie)s » : retirez-la d'abord de "
                      "cette régie.") % {"activity": names.get(pk, pk), "regie": regie.name}
                    for pk, regie in sorted(taken.items(), key=lambda item: str(names.get(item[0], ""))))


# --- tariffs ---------------------------------------------------------------------------------------------

def overlapping(unit, valid_from, valid_until, exclude=None):
    """The unit's tariffs that share a day with [valid_from, valid_until] (None: no end)."""
    tariffs = Tariff.objects.filter(unit=unit).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
    if valid_until is not None:
        tariffs = tariffs.filter(valid_from__lte=valid_until)
    if exclude is not None and exclude.pk:
        tariffs = tariffs.exclude(pk=exclude.pk)
    return list(tariffs.order_by("valid_from"))


def span_text(tariff):
    if tariff.valid_until is None:
        return _("à partir du %(from)s") % {"from": tariff.valid_from.strftime("%d/%m/%Y")}
    return _("du %(from)s au %(until)s") % {"from": tariff.valid_from.strftime("%d/%m/%Y"),
                                             "until": tariff.valid_until.strftime("%d/%m/%Y")}


def _tariff_span(tariff):
    if tariff.valid_until is None:
        return _("le tarif en vigueur depuis le %(from)s, sans dernier jour") % {"from": long_date(tariff.valid_from)}
    return _("le tarif du %(from)s au %(until)s") % {"from": long_date(tariff.valid_from),
                                                    "until": long_date(tariff.valid_until)}


def overlap_message(others, valid_from=None, valid_until=None):
    """Which tariff of the unit already covers these days, and what to do: end it first (a "dernier jour"
    the day before the new one starts), or choose other dates."""
    parts = []
    for other in others:
        span = _tariff_span(other)
        if valid_from is not None and other.valid_from < valid_from:
            eve = long_date(valid_from - datetime.timedelta(days=1))
            parts.append(_("Ces jours sont déjà couverts par %(span)s. Terminez-le d'abord : ouvrez ce tarif et "
                           "indiquez son dernier jour (le %(eve)s au plus tard), puis enregistrez celui-ci.")
                         % {"span": span, "eve": eve})
        else:
            parts.append(_("Ces dates recouvrent %(span)s. Donnez à ce tarif-ci un dernier jour avant le %(from)s, "
                           "ou modifiez les dates de l'autre tarif d'abord.")
                         % {"span": span, "from": long_date(other.valid_from)})
    return " ".join(parts)


def _surcharge_text(kind, value):
    if kind == Tariff.Surcharge.FIXED:
        return euros(value)
    if kind == Tariff.Surcharge.PERCENT:
        return f"{money(value)} %".replace(".", ",")
    return _("aucune")


def brackets_text(brackets):
    """"Tranche 1 jusqu'à 500 : 3,20 € ; Tranche 2 : 7,00 €" (the audit trail's words)."""
    parts = []
    for b in brackets:
        bound = _(" jusqu'à %(qf)s") % {"qf": b.qf_max} if b.qf_max is not None else _(" sans plafond")
        parts.append(f"{b.label}{bound} : {euros(b.price)}")
    return " ; ".join(parts)


def _tariff_shown(tariff, brackets):
    return {
        _("prestation"): str(tariff.unit),
        _("période"): span_text(tariff),
        _("prix hors commune"): euros(tariff.outside_price) if tariff.outside_price is not None else _("aucun"),
        _("majoration d'une réservation tardive"): _surcharge_text(tariff.late_kind, tariff.late_value),
        _("majoration d'une présence sans réservation"): _surcharge_text(tariff.unbooked_kind, tariff.unbooked_value),
        _("tranches"): brackets_text(brackets),
        _("payable en CESU"): _("oui") if tariff.cesu else _("non"),
    }


TARIFF_FIELDS = ("valid_from", "valid_until", "outside_price", "late_kind", "late_value", "unbooked_kind",
                 "unbooked_value", "cesu")


def save_tariff(tariff, values, brackets, *, actor):
    """Create or update a unit's tariff and replace its brackets (`brackets`: [(label, qf_max, price)], from
    the lowest). AdminError("…", "valid_from") when its days overlap another tariff of the unit."""
    with transaction.atomic():
        # The unit's row is the lock: two tariffs of one unit saved at once are checked one after the other.
        unit = Unit.objects.select_for_update().select_related("activity").get(pk=tariff.unit_id)
        creating = tariff.pk is None
        if creating:
            before = {}
        else:
            stored = Tariff.objects.select_for_update().get(pk=tariff.pk)
            stored.unit = unit
            before = _tariff_shown(stored, list(stored.brackets.all()))
        for name in TARIFF_FIELDS:
            setattr(tariff, name, values[name])
        tariff.unit = unit
        others = overlapping(unit, tariff.valid_from, tariff.valid_until, exclude=tariff)
        if others:
            raise AdminError(overlap_message(others, tariff.valid_from, tariff.valid_until), "valid_from")
        tariff.save()
        TariffBracket.objects.filter(tariff=tariff).delete()
        made = TariffBracket.objects.bulk_create([TariffBracket(tariff=tariff, label=label, qf_max=qf_max, price=price)
                                                  for label, qf_max, price in brackets])
        changes = audit.diff(before, _tariff_shown(tariff, made))
        if creating or changes:
            audit.record(actor=actor, action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.UPDATE,
                         obj=tariff, object_repr=f"{unit} {span_text(tariff)}", changes=changes)
    return tariff


def billed_until(unit):
    """The last day of an issued invoice of the unit's régie, or None: a tariff changed over those days changes
    no issued invoice (they never change), only what later runs bill."""
    return (Invoice.objects.filter(regie__regieactivity__activity_id=unit.activity_id, state=Invoice.State.ISSUED)
            .aggregate(last=models.Max("last_day"))["last"])


# --- the quotient familial ----------------------------------------------------------------------------

def quotient_refusal(family, earliest, today):
    """Why a QF cannot start before `earliest`, in French."""
    next_month = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    if earliest > next_month:
        return _("Les jours jusqu'au %(day)s sont déjà facturés : un nouveau quotient s'applique au plus tôt le "
                 "%(earliest)s.") % {"day": (earliest - datetime.timedelta(days=1)).strftime("%d/%m/%Y"),
                                     "earliest": earliest.strftime("%d/%m/%Y")}
    return _("Un nouveau quotient s'applique au plus tôt le %(earliest)s, le premier jour du mois prochain.") % {
        "earliest": earliest.strftime("%d/%m/%Y")}


def record_quotient(family, value, *, source, valid_from=None, actor, today=None):
    """A new QF for the household (quotients.record), in the audit trail; AdminError on valid_from when it
    starts before quotients.earliest_start."""
    today = today or timezone.localdate()
    with transaction.atomic():
        valid_from = valid_from or quotients.earliest_start(family, today)
        previous = Quotient.objects.filter(family=family, valid_from=valid_from).first()
        try:
            quotient = quotients.record(family, value, source=source, today=today, valid_from=valid_from, user=actor)
        except quotients.QuotientError as refusal:
            raise AdminError(quotient_refusal(family, refusal.args[0], today), "valid_from") from None
        after = {str(Quotient._meta.get_field("value").verbose_name): str(quotient.value),
                 str(Quotient._meta.get_field("valid_from").verbose_name): quotient.valid_from.strftime("%d/%m/%Y"),
                 str(Quotient._meta.get_field("source").verbose_name): quotient.get_source_display()}
        before = {} if previous is None else {
            str(Quotient._meta.get_field("value").verbose_name): str(previous.value),
            str(Quotient._meta.get_field("valid_from").verbose_name): previous.valid_from.strftime("%d/%m/%Y"),
            str(Quotient._meta.get_field("source").verbose_name): previous.get_source_display()}
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE if previous else AuditEntry.Action.CREATE,
                     obj=quotient, family=family, changes=audit.diff(before, after))
    return quotient


def family_quotients(family, today=None):
    """(history newest first, earliest start of a new QF, the QF valid today)."""
    today = today or timezone.localdate()
    history = list(Quotient.objects.filter(family=family).select_related("created_by").order_by("-valid_from"))
    current = next((q for q in history if q.valid_from <= today), None)
    return history, quotients.earliest_start(family, today), current


# --- invoice runs -------------------------------------------------------------------------------------------

def _run_repr(run, regie):
    return _("Facturation %(regie)s du %(first)s au %(last)s") % {
        "regie": regie.name, "first": run.first_day.strftime("%d/%m/%Y"), "last": run.last_day.strftime("%d/%m/%Y")}


def _enqueue(task, run_id):
    transaction.on_commit(lambda: task.enqueue(run_id))


def start_run(regie, first_day, last_day, *, actor):
    """A new run in preview, its preview enqueued once committed; runs.RunError when refused."""
    with transaction.atomic():
        run = runs.start(regie, first_day, last_day, user=actor)
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=run, object_repr=_run_repr(run, regie))
        _enqueue(tasks.preview_run, run.pk)
    return run


ISSUE_REQUESTED = gettext_lazy("Émission demandée.")


def _issue_pending(run):
    """Whether an issue of this previewed run was asked for and the worker has not answered yet (no refusal
    since): a second request would only enqueue it again. A request older than the sweep's delay counts no
    more (its task lost), so that the issue can always be asked again."""
    if run.error:
        return False  # refused since: asking again is the way out
    since = timezone.now() - tasks.STALE
    return AuditEntry.objects.filter(object_type=run._meta.model_name, object_id=str(run.pk),
                                     note=str(ISSUE_REQUESTED), at__gte=since).exists()


def request_issue(run_id, *, actor):
    """Ask for the issue of a previewed run (the worker checks that nothing changed since the preview).
    AlreadyDone when it is issued, under way or already asked for (a double click): nothing is enqueued twice."""
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update(of=("self",)).select_related("regie").get(pk=run_id)
        if run.state == State.ISSUED:
            raise AlreadyDone(_("Cette facturation est déjà émise."))
        if run.state == State.ISSUING:
            raise AlreadyDone(_("L'émission de cette facturation est déjà en cours."))
        if run.state != State.PREVIEWED:
            raise runs.RunError(_("Cette facturation n'est pas prête à être émise (%(state)s).")
                                % {"state": run.get_state_display().lower()})
        if _issue_pending(run):
            raise AlreadyDone(_("L'émission de cette facturation est déjà demandée : elle commence dans un instant."))
        if run.error:
            run.error = ""
            run.save(update_fields=["error"])
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=run, object_repr=_run_repr(run, run.regie),
                     note=str(ISSUE_REQUESTED))
        _enqueue(tasks.issue_run, run.pk)
    return run


DISCARDABLE = (State.PREVIEWING, State.PREVIEWED, State.FAILED)


def discard_run(run_id, *, actor):
    """Abandon a run (runs.discard); AlreadyDone when it is already abandoned (a double click)."""
    with transaction.atomic():
        # Locked here first, so that of two clicks at once the second finds it abandoned and says so.
        state = InvoiceRun.objects.select_for_update().values_list("state", flat=True).get(pk=run_id)
        if state == State.DISCARDED:
            raise AlreadyDone(_("Cette facturation est déjà abandonnée."))
        run = runs.discard(run_id)
        regie = Regie.objects.get(pk=run.regie_id)
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=run, object_repr=_run_repr(run, regie),
                     note=_("Facturation abandonnée."))
    return run


def next_number(regie, kind=Invoice.Kind.INVOICE, today=None):
    """The number the régie's next invoice (or credit note) of this year would take: for the confirmation only,
    the issue takes its numbers from the locked counter."""
    year = (today or timezone.localdate()).year
    last = (InvoiceCounter.objects.filter(regie=regie, kind=kind, year=year).values_list("last_number", flat=True)
            .first() or 0)
    return runs.number(regie, kind, year, last + 1)


def confirmation(run, today=None):
    """What the issue of a previewed run will do, for its confirmation page: the totals of its drafts (those the
    issue promotes), the first numbers, the issue and due dates, the anomalies left."""
    today = today or timezone.localdate()
    totals = run_totals(run)
    anomalies = run.anomalies if isinstance(run.anomalies, list) else []
    return {
        "totals": totals, "anomaly_count": len(anomalies), "period": period_phrase(run.first_day, run.last_day),
        "first_invoice": next_number(run.regie, Invoice.Kind.INVOICE, today) if totals["invoices"] else "",
        "first_credit_note": next_number(run.regie, Invoice.Kind.CREDIT_NOTE, today) if totals["credit_notes"] else "",
        "issued_on": long_date(today),
        "due_on": long_date(today + datetime.timedelta(days=run.regie.payment_days)),
        "future_days": future_days_warning(run.first_day, run.last_day, today),
    }


# --- a new run's period -------------------------------------------------------------------------------------

def last_issued_day(regie):
    """The last day billed by an issued run of the régie, or None."""
    return regie.runs.filter(state=State.ISSUED).aggregate(last=models.Max("last_day"))["last"]


def last_issued_days(regies):
    """{régie id: the last day its issued runs billed} for the régies that issued, in one query."""
    rows = (InvoiceRun.objects.filter(regie__in=regies, state=State.ISSUED).values("regie_id")
            .annotate(last=models.Max("last_day")).order_by())
    return {row["regie_id"]: row["last"] for row in rows}


def month_end(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def proposed_period(regie, today=None):
    """The period a new run of the régie should bill: the first month not yet issued, from the day after its
    last issued run to the end of that month; the previous month when it never issued."""
    today = today or timezone.localdate()
    last = last_issued_day(regie) if regie is not None else None
    if last is None:
        end = today.replace(day=1) - datetime.timedelta(days=1)
        return end.replace(day=1), end
    first = last + datetime.timedelta(days=1)
    return first, month_end(first)


def future_days_warning(first, last, today=None):
    """Words saying that the period has days still to come, or ""."""
    today = today or timezone.localdate()
    if last < today:
        return ""
    start = max(first, today)
    return _("La période comprend des jours qui ne sont pas encore passés (%(span)s) : leurs réservations, "
             "absences et pointages peuvent encore changer. Ils sont facturés d'après ce qui est connu "
             "aujourd'hui ; ce qui changera ensuite sera facturé ou remboursé par un avoir à la facturation "
             "suivante. D'ordinaire, on facture un mois une fois terminé.") % {"span": period_phrase(start, last)}


def already_issued_warning(regie, first, last):
    """Words saying that some of these days were already issued for the régie, or "" (nothing is billed twice:
    only what changed since is billed or credited)."""
    if regie is None:
        return ""
    issued = regie.runs.filter(state=State.ISSUED, first_day__lte=last, last_day__gte=first) \
        .order_by("first_day").values_list("first_day", "last_day")
    spans = [period_phrase(a, b) for a, b in issued]
    if not spans:
        return ""
    return _("Une facturation émise couvre déjà une partie de ces jours (%(spans)s) : rien n'y sera facturé deux "
             "fois, seuls les changements depuis seront facturés ou crédités.") % {"spans": ", ".join(spans)}


def preview_again(run_id, *, actor):
    """Abandon the run and start a new one of the same period (after its issue was refused, or after the
    anomalies were corrected)."""
    with transaction.atomic():
        old = discard_run(run_id, actor=actor)
        return start_run(old.regie, old.first_day, old.last_day, actor=actor)


class JSONArrayLength(models.Func):
    """The length of a JSON array column, counted by the database (the anomalies of 20 000 households)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = models.IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)


def progress(run_id):
    """{state, state_label, done, total, anomalies, error} of a run, in one query; None when there is none."""
    row = (InvoiceRun.objects.filter(pk=run_id).annotate(anomaly_count=JSONArrayLength("anomalies"))
           .values("state", "households_done", "households_total", "anomaly_count", "error").first())
    if row is None:
        return None
    return {"state": row["state"], "state_label": str(State(row["state"]).label), "done": row["households_done"],
            "total": row["households_total"], "anomalies": row["anomaly_count"] or 0,
            "error": row["error"] if row["state"] == State.PREVIEWED else ""}


def progress_of(run):
    """progress() of a run already read."""
    anomalies = run.anomalies if isinstance(run.anomalies, list) else []
    return {"state": run.state, "state_label": str(State(run.state).label), "done": run.households_done,
            "total": run.households_total, "anomalies": len(anomalies),
            "error": run.error if run.state == State.PREVIEWED else ""}


def run_totals(run, reference=""):
    """{invoices, credit_notes, invoiced, credited, net} of the run's invoices (its drafts, or what it
    issued; those of the households whose reference contains `reference` when given), in one query."""
    kept = run.invoices.exclude(state=Invoice.State.DISCARDED) if run.state != State.DISCARDED else run.invoices
    if reference:
        kept = kept.filter(family__reference__icontains=reference)
    row = kept.aggregate(
        invoices=Count("pk", filter=Q(kind=Invoice.Kind.INVOICE)),
        credit_notes=Count("pk", filter=Q(kind=Invoice.Kind.CREDIT_NOTE)),
        invoiced=Sum("total", filter=Q(kind=Invoice.Kind.INVOICE)),
        credited=Sum("total", filter=Q(kind=Invoice.Kind.CREDIT_NOTE)))
    invoiced, credited = row["invoiced"] or ZERO, row["credited"] or ZERO
    return {"invoices": row["invoices"], "credit_notes": row["credit_notes"], "invoiced": invoiced,
            "credited": credited, "net": invoiced - credited}


ANOMALY_KINDS = {
    "no_tariff": gettext_lazy("Jours sans tarif (non facturés)"),
    "no_qf": gettext_lazy("Foyers sans quotient familial (tranche la plus haute)"),
    "residency": gettext_lazy("Adresses à vérifier (tarif hors commune appliqué)"),
    "absence_pending": gettext_lazy("Absences en attente d'un justificatif (non facturées pour l'instant)"),
    "absent_unjustified": gettext_lazy("Absents sans absence signalée (facturés)"),
    "unbooked": gettext_lazy("Présents sans réservation"),
    "shared_unbooked": gettext_lazy("Garde partagée : présents sans réservation, foyer facturé à vérifier"),
    "zero": gettext_lazy("Factures d'un montant nul"),
}


def anomaly_label(kind):
    return str(ANOMALY_KINDS.get(kind) or _("Autres anomalies"))


def anomaly_groups(anomalies, *, per_kind):
    """[(kind, label, count, first `per_kind` anomalies)], in the order of ANOMALY_KINDS."""
    grouped = {}
    for anomaly in anomalies if isinstance(anomalies, list) else []:
        if isinstance(anomaly, dict):
            grouped.setdefault(str(anomaly.get("kind", "")), []).append(anomaly)
    order = list(ANOMALY_KINDS)
    kinds = sorted(grouped, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(kind, anomaly_label(kind), len(grouped[kind]), grouped[kind][:per_kind]) for kind in kinds]
