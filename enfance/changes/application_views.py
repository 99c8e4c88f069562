"""The public pre-registration page and the staff's review of new households."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from enfance.core import ratelimit
from enfance.families import applications
from enfance.families.application_forms import (
    AntiBotForm,
    ApplicationHouseholdForm,
    ChildFormSet,
    MainGuardianForm,
    SecondGuardianForm,
)

SUBMISSIONS_PER_HOUR = 5


@require_http_methods(["GET", "POST"])
def apply(request):
    data = request.POST if request.method == "POST" else None
    forms = {
        "household": ApplicationHouseholdForm(data, prefix="foyer"),
        "guardian1": MainGuardianForm(data, prefix="resp1"),
        "guardian2": SecondGuardianForm(data, prefix="resp2"),
        "children": ChildFormSet(data, prefix="enfant"),
        "antibot": AntiBotForm(data, initial={"started": AntiBotForm.initial_token()}),
    }
    if request.method == "POST":
        if forms["antibot"].is_bot():
            return redirect("public:apply_done")  # say nothing to a bot
        if not ratelimit.hit("apply", request, limit=SUBMISSIONS_PER_HOUR, window=3600):
            return render(request, "changes/apply_limited.html", status=429)
        if all(f.is_valid() for f in forms.values()):
            applications.submit_application(forms["household"], [forms["guardian1"], forms["guardian2"]],
                                            forms["children"].forms)
            return redirect("public:apply_done")
        if forms["antibot"].errors:
            # A fresh token, so that the next sending (after checking) is accepted.
            forms["antibot"] = AntiBotForm(initial={"started": AntiBotForm.initial_token()})
            forms["antibot_error"] = True
    return render(request, "changes/apply.html", {**forms, "checklist": applications.DOSSIER_CHECKLIST})


@require_GET
def apply_done(request):
    return render(request, "changes/apply_done.html", {"checklist": applications.DOSSIER_CHECKLIST})
