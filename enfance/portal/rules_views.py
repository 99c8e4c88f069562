"""The service rules on the household's side: read them, accept them once per school year, their PDF."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from enfance.core.files import private_file_response
from enfance.core.forms import bound_data
from enfance.rules import services
from enfance.rules.forms import AcknowledgeForm
from enfance.rules.models import Acknowledgement

from .decorators import family_required


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
    return render(request, "portal/rules.html", {"rules": rules, "form": form, "done": done,
                                                      "next": next_url, "section": "rules"})


@family_required(rules_exempt=True)
@require_GET
def portal_rules_pdf(request):
    rules = services.current_rules()
    if rules is None:
        raise Http404
    return private_file_response(rules.pdf, content_type="application/pdf", filename="conditions.pdf")
