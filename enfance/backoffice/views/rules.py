"""The service rules on the staff's side: write them per school year, publish them, follow who accepted them."""

from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.accounts.decorators import staff_required
from enfance.core.files import private_file_response
from enfance.core.forms import bound_data
from enfance.core.pagination import paginate
from enfance.families.models import Family
from enfance.rules import services
from enfance.rules.forms import ServiceRulesForm, SignedCopyForm
from enfance.rules.models import Acknowledgement, ServiceRules, SignedCopy


@require_http_methods(["GET", "POST"])
@staff_required(edit=True)
def rules_list(request):
    form = ServiceRulesForm(*bound_data(request))
    if request.method == "POST" and form.is_valid():
        rules = services.create(form, actor=request.user)
        messages.success(request, _("Conditions %(year)s enregistrées (non publiées).") % {"year": rules.school_year_label})
        return redirect("backoffice:rules_detail", rules.pk)
    return render(request, "backoffice/rules_list.html", {"rules_list": ServiceRules.objects.all(), "form": form,
                                                     "section": "rules"})


@staff_required(edit=True)
@require_GET
def rules_detail(request, rules_id):
    rules = get_object_or_404(ServiceRules, pk=rules_id)
    families = (Family.objects.filter(archived_at__isnull=True)
                .annotate(signed_on=SignedCopy.objects.filter(rules=rules, family=OuterRef("pk")).values("received_on")[:1],
                          logins_count=Count("logins", filter=Q(logins__is_active=True), distinct=True),
                          has_ack=Exists(Acknowledgement.objects.filter(rules=rules, user__family=OuterRef("pk"))))
                .prefetch_related("guardians").order_by("reference"))
    show = request.GET.get("filtre", "")
    if show == "non-acceptees":
        families = families.filter(has_ack=False)
    elif show == "sans-exemplaire":
        families = families.filter(signed_on__isnull=True)
    return render(request, "backoffice/rules_detail.html", {
        "rules": rules, "page": paginate(request, families), "show": show, "section": "rules",
        "ack_count": Acknowledgement.objects.filter(rules=rules).count(),
        "signed_count": SignedCopy.objects.filter(rules=rules).count(),
    })


@require_POST
@staff_required(edit=True)
def rules_publish(request, rules_id):
    rules = get_object_or_404(ServiceRules, pk=rules_id)
    services.publish(rules, actor=request.user)
    messages.success(request, _("Conditions publiées : chaque famille les acceptera à sa prochaine connexion."))
    return redirect("backoffice:rules_detail", rules.pk)


@require_POST
@staff_required(edit=True)
def rules_signed_copy(request, rules_id):
    rules = get_object_or_404(ServiceRules, pk=rules_id)
    form = SignedCopyForm(request.POST)
    if form.is_valid():
        family = get_object_or_404(Family, pk=form.cleaned_data["family"], archived_at__isnull=True)
        services.record_signed_copy(rules, family, form.cleaned_data["received_on"], actor=request.user)
        messages.success(request, _("Exemplaire signé enregistré pour le foyer %(ref)s.") % {"ref": family.reference})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    back = request.POST.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("backoffice:rules_detail", args=[rules.pk])
    return redirect(back)


@staff_required(edit=True)
@require_GET
def rules_pdf(request, rules_id):
    return _pdf_response(get_object_or_404(ServiceRules, pk=rules_id))


def _pdf_response(rules):
    return private_file_response(rules.pdf, content_type="application/pdf", filename="conditions.pdf")
