"""The public pages: the new household's pre-registration ("fiche de pré-inscription")."""

import math

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from enfance.core import ratelimit
from enfance.documents import dossier
from enfance.documents.http import pdf_response
from enfance.families import applications
from enfance.families.application_forms import (
    AntiBotForm,
    ApplicationHouseholdForm,
    ChildFormSet,
    MainGuardianForm,
    SecondGuardianForm,
)

SUBMISSIONS_PER_HOUR = 5
SUBMISSION_WINDOW = 3600  # seconds


def _commune_contact():
    # The phone, e-mail, address and hours settings may not exist yet in every deployment.
    return {
        "name": settings.COMMUNE_NAME,
        "website": settings.COMMUNE_WEBSITE,
        **{key: getattr(settings, f"COMMUNE_{key.upper()}", "") for key in ("phone", "email", "address", "hours")},
    }


def _limit_notice(request, *, refused):
    seconds = ratelimit.retry_after("apply", request) or SUBMISSION_WINDOW
    return {"minutes": max(1, math.ceil(seconds / 60)), "seconds": seconds, "refused": refused,
            "contact": _commune_contact()}


@require_http_methods(["GET", "POST"])
def apply(request):
    """Only applications actually sent count against the limit; a refused one keeps everything typed."""
    data = request.POST if request.method == "POST" else None
    forms = {
        "household": ApplicationHouseholdForm(data, prefix="foyer"),
        "guardian1": MainGuardianForm(data, prefix="resp1"),
        "guardian2": SecondGuardianForm(data, prefix="resp2"),
        "children": ChildFormSet(data, prefix="enfant"),
        "antibot": AntiBotForm(data, initial={"started": AntiBotForm.initial_token()}),
    }
    limit = None
    if request.method == "POST":
        if forms["antibot"].is_bot():
            return redirect("public:apply_done")  # say nothing to a bot
        if all(f.is_valid() for f in forms.values()):
            # Counting first, atomically, keeps two pages sent at once from both taking the last place.
            if ratelimit.hit("apply", request, limit=SUBMISSIONS_PER_HOUR, window=SUBMISSION_WINDOW):
                try:
                    applications.submit_application(forms["household"], [forms["guardian1"], forms["guardian2"]],
                                                    forms["children"].forms)
                except BaseException:
                    ratelimit.release("apply", request)
                    raise
                return redirect("public:apply_done")
            ratelimit.release("apply", request)
            limit = _limit_notice(request, refused=True)
        elif forms["antibot"].errors:
            # A fresh token, so that the next sending (after checking) is accepted.
            forms["antibot"] = AntiBotForm(initial={"started": AntiBotForm.initial_token()})
            forms["antibot_error"] = True
    if limit is None and not ratelimit.remaining("apply", request, limit=SUBMISSIONS_PER_HOUR):
        limit = _limit_notice(request, refused=False)  # said before the family types a whole form
    response = render(request, "public/apply.html",
                      {**forms, "checklist": applications.DOSSIER_CHECKLIST, "limit": limit},
                      status=429 if limit and limit["refused"] else 200)
    if limit and limit["refused"]:
        response["Retry-After"] = str(limit["seconds"])
    return response


@require_GET
def apply_done(request):
    return render(request, "public/apply_done.html", {"checklist": applications.DOSSIER_CHECKLIST})


@require_GET
def apply_form_pdf(request):
    """The pre-registration form on paper, blank, for a household that prefers to fill it in by hand."""
    online = settings.SITE_URL.rstrip("/") + reverse("public:apply")  # not the Host header: the PDF is cached
    return pdf_response(dossier.render_blank(online), private=False)


@csrf_exempt  # the signed token is the proof; a mail client's one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
def notification_optout(request, token):
    """The link at the foot of every notification e-mail: turns that kind off for that login, without logging in.

    GET only shows the choice (mail scanners open links); the button, or the mail client's one-click POST
    (List-Unsubscribe-Post), turns it off."""
    from django.contrib.auth import get_user_model

    from enfance.messaging import notifications

    found = notifications.read_optout_token(token)
    user = get_user_model().objects.filter(pk=found[0], is_active=True).first() if found else None
    if user is None:
        return render(request, "public/optout.html", {"invalid": True}, status=404)
    kind = notifications.KINDS[found[1]]
    if kind.always:  # a link of an older e-mail, from before this kind was always sent
        return render(request, "public/optout.html", {"kind": kind, "always": True})
    done = request.method == "POST"
    if done:
        notifications.set_preference(user, kind.key, False)
    return render(request, "public/optout.html", {"kind": kind, "done": done, "token": token})
