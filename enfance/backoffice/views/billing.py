"""Invoice runs, for agents and administrators (leaders see nothing of billing): the runs of each régie, a new
run (its preview enqueued once committed), the run's page (progress, anomalies by kind, the pool of drafts
checked before they are promoted, totals), the issue, the abandon, a new preview of the same period; and a
household's quotient familial (its history on the household page, a new one recorded).

The pages read a fixed number of queries whatever the number of households (20 000 drafts are paginated;
the progress endpoint is one query). The work itself is enfance.billing.runs', in the worker."""

from django.contrib import messages
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.accounts.decorators import staff_required
from enfance.billing import admin_services, runs, words
from enfance.billing.models import Invoice, InvoiceLine, InvoiceRun, Regie
from enfance.billing.money import ZERO
from enfance.core.forms import bound_data
from enfance.core.pagination import paginate
from enfance.core.values import parse_id
from enfance.families import access
from enfance.families.models import Guardian

from ..billing_forms import DraftSearchForm, QuotientForm, RunForm
from ._common import family_url, refuse_archived_family

SECTION = "billing"
State = InvoiceRun.State
ANOMALIES_PER_KIND = 20
ANOMALIES_PER_PAGE = 100
RUNS_PER_PAGE = 20


def _with_counts(listed):
    """The runs of a page with their invoices' and credit notes' counts and the amount invoiced, in one query
    over those runs only (the page's count stays a plain COUNT of runs)."""
    listed = list(listed)
    kept = ~Q(state=Invoice.State.DISCARDED)
    counts = {row["run_id"]: row for row in (
        Invoice.objects.filter(run__in=listed).values("run_id").annotate(
            invoice_count=Count("pk", filter=Q(kind=Invoice.Kind.INVOICE) & kept),
            credit_count=Count("pk", filter=Q(kind=Invoice.Kind.CREDIT_NOTE) & kept),
            invoiced=Sum("total", filter=Q(kind=Invoice.Kind.INVOICE) & kept)))}
    for run in listed:
        row = counts.get(run.pk, {})
        run.invoice_count, run.credit_count = row.get("invoice_count", 0), row.get("credit_count", 0)
        run.invoiced = row.get("invoiced") or ZERO
    return listed


@staff_required(edit=True)
@require_GET
def billing_home(request):
    """Each régie with its open run, then every run (a régie's only with ?regie=), latest first."""
    regies = list(Regie.objects.annotate(activity_count=Count("activities")).order_by("name"))
    open_runs = {run.regie_id: run for run in InvoiceRun.objects.filter(state__in=admin_services.OPEN)}
    for regie in regies:
        regie.open_run = open_runs.get(regie.pk)
    listed = InvoiceRun.objects.select_related("regie", "created_by").order_by("-created_at", "-pk")
    chosen = request.GET.get("regie", "")
    current = next((r for r in regies if str(r.pk) == chosen), None)
    if current is not None:
        listed = listed.filter(regie=current)
    page = paginate(request, listed, RUNS_PER_PAGE)
    page.object_list = _with_counts(page.object_list)
    return render(request, "backoffice/billing/home.html", {
        "regies": regies, "page": page, "current": current, "section": SECTION})


def _period_warnings(regie, first, last, today):
    """Why a period deserves a second look (days still to come, days already issued): words, never a refusal."""
    if regie is None or first is None or last is None or last < first:
        return []
    return [w for w in (admin_services.future_days_warning(first, last, today),
                        admin_services.already_issued_warning(regie, first, last)) if w]


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def run_new(request):
    """The period proposed is the first month the régie has not issued yet; a period with days to come or days
    already issued is said so, on the form and once started."""
    today = timezone.localdate()
    wanted = request.GET.get("regie", "")
    regie = Regie.objects.filter(pk=parse_id(wanted, 9)).first() if parse_id(wanted, 9) is not None else None
    if regie is None:  # the form's first choice, which the period is proposed for
        regie = Regie.objects.order_by("name").first()
    form = RunForm(bound_data(request)[0], regie=regie, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = admin_services.start_run(data["regie"], data["first_day"], data["last_day"], actor=request.user)
        except runs.RunError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Facturation lancée : la prévisualisation calcule les factures de chaque "
                                        "foyer, rien n'est encore émis."))
            for warning in _period_warnings(data["regie"], data["first_day"], data["last_day"], today):
                messages.warning(request, warning)
            return redirect("backoffice:run", run.pk)
    if form.is_bound:
        shown = form.cleaned_data if hasattr(form, "cleaned_data") else {}
        warnings = _period_warnings(shown.get("regie"), shown.get("first_day"), shown.get("last_day"), today)
    else:
        warnings = _period_warnings(regie, form.initial["first_day"], form.initial["last_day"], today)
    return render(request, "backoffice/billing/run_new.html", {
        "form": form, "section": SECTION, "has_regies": regie is not None, "warnings": warnings})


def _run_or_404(run_id):
    return get_object_or_404(InvoiceRun.objects.select_related("regie", "created_by"), pk=run_id)


def _drafts(request, run):
    """The run's invoices (its drafts, or what it issued), a page of them, with their line counts."""
    form = DraftSearchForm(request.GET)
    invoices = run.invoices.all() if run.state == State.DISCARDED else \
        run.invoices.exclude(state=Invoice.State.DISCARDED)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if q:
        invoices = invoices.filter(family__reference__icontains=q)
    # A subquery, not a join: the paginator's COUNT leaves it out, and it runs for the page's rows only.
    lines = InvoiceLine.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice").annotate(n=Count("pk"))
    invoices = (invoices.select_related("family", "corrects")
                .prefetch_related(Prefetch("family__guardians", queryset=Guardian.objects.order_by("rank", "pk")))
                .annotate(line_count=Coalesce(Subquery(lines.values("n")), 0))
                .order_by("family__reference", "kind", "pk"))
    return form, q, paginate(request, invoices)


@staff_required(edit=True)
@require_GET
def run_detail(request, run_id):
    run = _run_or_404(run_id)
    kind = request.GET.get("anomalie", "")
    progress = admin_services.progress_of(run)
    context = {
        "run": run, "section": SECTION, "progress": progress,
        "in_progress": run.state in admin_services.IN_PROGRESS,
        "issue_requested": request.GET.get("emission") == "1" and run.state == State.PREVIEWED and not run.error,
        "totals": admin_services.run_totals(run) if not kind else None,
        "future_days": admin_services.future_days_warning(run.first_day, run.last_day)
        if run.state in admin_services.OPEN else "",
    }
    if kind:
        # One kind of anomaly, all of them, a page at a time.
        all_of_kind = [a for a in run.anomalies if isinstance(a, dict) and a.get("kind") == kind] \
            if isinstance(run.anomalies, list) else []
        context |= {"anomaly_kind": kind, "anomaly_label": admin_services.anomaly_label(kind),
                    "anomaly_page": paginate(request, all_of_kind, ANOMALIES_PER_PAGE)}
    else:
        form, q, page = _drafts(request, run)
        # The table's total row: the whole run's (every page), or the households found.
        context |= {"search": form, "q": q, "page": page,
                    "table_totals": admin_services.run_totals(run, q) if q else context["totals"],
                    "anomaly_groups": admin_services.anomaly_groups(run.anomalies, per_kind=ANOMALIES_PER_KIND)}
    return render(request, "backoffice/billing/run.html", context)


@staff_required(edit=True)
@require_GET
def run_progress(request, run_id):
    data = admin_services.progress(run_id)
    if data is None:
        raise Http404
    return JsonResponse(data)


@staff_required(edit=True)
@require_GET
def run_draft(request, run_id, invoice_id):
    """One invoice of the run (a draft until issued): its lines, the rule that set each price."""
    invoice = get_object_or_404(
        Invoice.objects.select_related("run__regie", "family", "corrects")
        .prefetch_related(Prefetch("family__guardians", queryset=Guardian.objects.order_by("rank", "pk")),
                          Prefetch("lines", queryset=InvoiceLine.objects.select_related("corrects").order_by("pk"))),
        pk=invoice_id, run_id=run_id)
    return render(request, "backoffice/billing/run_draft.html", {
        "invoice": invoice, "run": invoice.run, "lines": list(invoice.lines.all()), "section": SECTION})


def _not_issuable(run):
    """Why the run cannot be issued now (its page then says so), or ""."""
    if run.state == State.ISSUED:
        return _("Cette facturation est déjà émise.")
    if run.state == State.ISSUING:
        return _("L'émission de cette facturation est déjà en cours.")
    if run.state != State.PREVIEWED:
        return _("Cette facturation n'est pas prête à être émise (%(state)s).") % {
            "state": run.get_state_display().lower()}
    if run.error:
        return _("L'émission a été refusée : prévisualisez à nouveau la période avant d'émettre.")
    return ""


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def run_issue(request, run_id):
    """GET: what the issue will do (how many invoices and credit notes, their amounts, the period, the régie, the
    first numbers), and the button that confirms it. POST: the issue asked for (once: a second click says it is
    already asked for or done)."""
    run = _run_or_404(run_id)
    if request.method == "GET":
        if why := _not_issuable(run):
            messages.info(request, why)
            return redirect("backoffice:run", run.pk)
        return render(request, "backoffice/billing/run_confirm.html", {
            "run": run, "action": "issue", "section": SECTION, **admin_services.confirmation(run)})
    try:
        admin_services.request_issue(run.pk, actor=request.user)
    except admin_services.AlreadyDone as done:
        messages.info(request, done.message)
        return redirect(reverse("backoffice:run", args=[run.pk]) + ("?emission=1" if run.state == State.PREVIEWED
                                                                     else ""))
    except runs.RunError as refusal:
        messages.error(request, refusal.message)
        return redirect("backoffice:run", run.pk)
    messages.success(request, _("Émission demandée : les factures sont numérotées et émises foyer par foyer."))
    return redirect(reverse("backoffice:run", args=[run.pk]) + "?emission=1")


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def run_discard(request, run_id):
    """GET: what abandoning the run does (its drafts set aside, nothing issued), and the button that confirms
    it. POST: the run abandoned (a second click says it already is)."""
    run = _run_or_404(run_id)
    if request.method == "GET":
        if run.state not in admin_services.DISCARDABLE:
            messages.info(request, _("Cette facturation est déjà abandonnée.") if run.state == State.DISCARDED
                          else _("Une facturation en cours d'émission ou émise ne s'abandonne pas."))
            return redirect("backoffice:run", run.pk)
        return render(request, "backoffice/billing/run_confirm.html", {
            "run": run, "action": "discard", "section": SECTION, "totals": admin_services.run_totals(run),
            "period": words.period_phrase(run.first_day, run.last_day)})
    try:
        admin_services.discard_run(run.pk, actor=request.user)
    except admin_services.AlreadyDone as done:
        messages.info(request, done.message)
    except runs.RunError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Facturation abandonnée : ses brouillons sont écartés, aucune facture n'est "
                                    "émise."))
    return redirect("backoffice:run", run.pk)


@staff_required(edit=True)
@require_POST
def run_again(request, run_id):
    run = _run_or_404(run_id)
    try:
        new = admin_services.preview_again(run.pk, actor=request.user)
    except runs.RunError as refusal:
        messages.error(request, refusal.message)
        return redirect("backoffice:run", run.pk)
    messages.success(request, _("Nouvelle prévisualisation de la même période lancée ; la précédente est "
                                "abandonnée."))
    return redirect("backoffice:run", new.pk)


# --- a household's quotient familial --------------------------------------------------------------------

def family_quotients(request, family, form=None):
    """The household page's QF card (backoffice/billing/_family_quotients.html): agents and administrators
    only, {} for the others."""
    if not access.sees_financial_data(request.user):
        return {}
    history, earliest, current = admin_services.family_quotients(family)
    if form is None:
        form = QuotientForm(earliest=earliest)
    return {"quotients": {"history": history, "current": current, "earliest": earliest, "form": form,
                          "can_add": request.user.can_edit_records and not family.is_archived}}


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def family_quotient(request, family_id):
    """The household's QF history and a new QF (the household page's form posts here)."""
    family = access.get_family_for_staff(request.user, family_id)
    today = timezone.localdate()
    form = None
    if request.method == "POST":
        if (refused := refuse_archived_family(request, family)) is not None:
            return refused
        _history, earliest, _current = admin_services.family_quotients(family, today)
        form = QuotientForm(request.POST, earliest=earliest)
        if form.is_valid():
            try:
                quotient = admin_services.record_quotient(
                    family, form.cleaned_data["value"], source=form.cleaned_data["source"],
                    valid_from=form.cleaned_data["valid_from"], actor=request.user, today=today)
            except admin_services.AdminError as refusal:
                form.add_error(refusal.field or None, refusal.message)
            else:
                messages.success(request, _("Quotient familial %(value)s enregistré, à partir du %(day)s.")
                                 % {"value": quotient.value, "day": quotient.valid_from.strftime("%d/%m/%Y")})
                return redirect(family_url(family, "quotient"))
    return render(request, "backoffice/billing/family_quotient.html", {
        "family": family, "section": "families", **family_quotients(request, family, form)})
