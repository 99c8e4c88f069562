"""The billing settings: the régies and the activities each bills (administrators edit, agents read), and
the tariffs of every unit by date range with their QF brackets (administrators edit, agents read).

Writes go through enfance.billing.admin_services (audit trail, rules checked again under a lock)."""

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from enfance.accounts.decorators import staff_required
from enfance.activities.models import Activity, Unit
from enfance.billing import admin_services
from enfance.billing.models import Regie, Tariff, TariffBracket
from enfance.core.forms import bound_data
from enfance.payments import attempts as payment_attempts

from ..billing_forms import RegieForm, TariffForm, bracket_formset

SECTION = "billing"


# --- régies ----------------------------------------------------------------------------------------------

@staff_required(edit=True)
@require_GET
def regie_list(request):
    regies = Regie.objects.annotate(issued=Count("invoices", filter=Q(invoices__state="issued"))) \
        .prefetch_related(Prefetch("activities", queryset=Activity.objects.order_by("name"))).order_by("name")
    unbilled = Activity.objects.filter(regie_link__isnull=True).order_by("name")
    return render(request, "backoffice/billing/regies.html", {
        "regies": list(regies), "unbilled": list(unbilled), "section": SECTION})


def _regie_edit(request, regie):
    creating = regie.pk is None
    form = RegieForm(bound_data(request)[0], instance=regie)
    if request.method == "POST" and form.is_valid():
        try:
            # billing's save_regie, and the card payments still open on the régie's former bank settings
            # flagged for staff, in one transaction (enfance.payments.attempts.save_regie).
            saved = payment_attempts.save_regie(regie, form.values(), form.cleaned_data["activities"],
                                                actor=request.user)
        except admin_services.AdminError as refusal:
            form.add_error(refusal.field or None, refusal.message)
        else:
            messages.success(request, _("Régie « %(name)s » enregistrée.") % {"name": saved.name})
            if saved.outdated_attempts:
                count = len(saved.outdated_attempts)
                messages.warning(request, ngettext(
                    "%(count)d paiement en ligne commencé avec les anciens réglages de la banque garde ceux-ci : il "
                    "est à contrôler dans les paiements en ligne.",
                    "%(count)d paiements en ligne commencés avec les anciens réglages de la banque gardent ceux-ci : "
                    "ils sont à contrôler dans les paiements en ligne.", count) % {"count": count})
            return redirect("backoffice:regies")
    return render(request, "backoffice/billing/regie_form.html", {
        "form": form, "regie": None if creating else regie, "section": SECTION,
        "title": _("Nouvelle régie") if creating else _("Régie « %(name)s »") % {"name": regie.name},
    })


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def regie_new(request):
    return _regie_edit(request, Regie())


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def regie_edit(request, regie_id):
    return _regie_edit(request, get_object_or_404(Regie, pk=regie_id))


# --- tariffs ---------------------------------------------------------------------------------------------

@staff_required(edit=True)
@require_GET
def tariff_list(request):
    """Every activity, its units and their tariffs from the latest, with their brackets: a fixed number of
    queries."""
    tariffs = Tariff.objects.prefetch_related(Prefetch("brackets", queryset=TariffBracket.objects.all())) \
        .order_by("-valid_from")
    units = Unit.objects.prefetch_related(Prefetch("tariffs", queryset=tariffs)).order_by("name")
    activities = Activity.objects.select_related("regie_link__regie") \
        .prefetch_related(Prefetch("units", queryset=units)).order_by("name")
    return render(request, "backoffice/billing/tariffs.html", {
        "activities": list(activities), "section": SECTION, "can_edit": request.user.is_administrator})


def _tariff_edit(request, tariff, unit):
    creating = tariff.pk is None
    data = bound_data(request)[0]
    form = TariffForm(data, instance=tariff, unit=unit)
    brackets = bracket_formset(data, tariff=tariff)
    if request.method == "POST":
        form_ok, brackets_ok = form.is_valid(), brackets.is_valid()
        if form_ok and brackets_ok:
            try:
                admin_services.save_tariff(tariff, form.values(), brackets.brackets(), actor=request.user)
            except admin_services.AdminError as refusal:
                form.add_error(refusal.field or None, refusal.message)
                if refusal.field == "valid_from":  # another administrator's tariff, saved a moment ago
                    form.overlaps = admin_services.overlapping(unit, tariff.valid_from, tariff.valid_until,
                                                               exclude=tariff)
            else:
                messages.success(request, _("Tarif de « %(unit)s » enregistré.") % {"unit": unit})
                return redirect("backoffice:tariffs")
    return render(request, "backoffice/billing/tariff_form.html", {
        "form": form, "brackets": brackets, "unit": unit, "tariff": None if creating else tariff,
        "overlaps": form.overlaps,
        "section": SECTION, "billed_until": admin_services.billed_until(unit),
        "has_errors": bool(form.errors) or (brackets.is_bound and not brackets.is_valid()),
        "title": (_("Nouveau tarif : %(unit)s") if creating else _("Tarif : %(unit)s")) % {"unit": unit},
    })


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def tariff_new(request, unit_id):
    unit = get_object_or_404(Unit.objects.select_related("activity"), pk=unit_id)
    return _tariff_edit(request, Tariff(unit=unit), unit)


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def tariff_edit(request, tariff_id):
    tariff = get_object_or_404(Tariff.objects.select_related("unit__activity"), pk=tariff_id)
    return _tariff_edit(request, tariff, tariff.unit)
