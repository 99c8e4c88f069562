from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.accounts.decorators import family_required, staff_required
from enfance.core.files import private_file_response
from enfance.core.forms import bound_data
from enfance.core.pagination import paginate
from enfance.families.models import Family

from . import services
from .forms import AcknowledgeForm, ServiceRulesForm, SignedCopyForm
from .models import Acknowledgement, ServiceRules, SignedCopy

# --- the family's side --------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@family_required(rules_exempt=True)
def portal_rules(request):
    rules = services.current_rules()
    if rules is None:
        raise Http404
    done = Acknowledgement.objects.filter(rules=rules, user=request.user).first()
    form = AcknowledgeForm(bound_data(request)[0])
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        services.acknowledge(request, rules)
        messages.success(request, _("Merci : vous avez accepté les conditions de fonctionnement %(year)s.")
                         % {"year": rules.school_year_label})
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(next_url)
        return redirect("portal:home")
    return render(request, "rules/portal_rules.html", {"rules": rules, "form": form, "done": done,
                                                      "next": next_url, "section": "rules"})


@family_required(rules_exempt=True)
@require_GET
def portal_rules_pdf(request):
    rules = services.current_rules()
    if rules is None:
        raise Http404
    return _pdf_response(rules)


# --- the staff's side -----------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@staff_required(edit=True)
def rules_list(request):
    form = ServiceRulesForm(*bound_data(request))
    if request.method == "POST" and form.is_valid():
        rules = services.create(form, actor=request.user)
        messages.success(request, _("Conditions %(year)s enregistrées (non publiées).") % {"year": rules.school_year_label})
        return redirect("rules:detail", rules.pk)
    return render(request, "rules/rules_list.html", {"rules_list": ServiceRules.objects.all(), "form": form,
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
    return render(request, "rules/rules_detail.html", {
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
    return redirect("rules:detail", rules.pk)


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
        back = reverse("rules:detail", args=[rules.pk])
    return redirect(back)


@staff_required(edit=True)
@require_GET
def rules_pdf(request, rules_id):
    return _pdf_response(get_object_or_404(ServiceRules, pk=rules_id))


def _pdf_response(rules):
    return private_file_response(rules.pdf, content_type="application/pdf", filename="conditions.pdf")
