"""Broadcasts: the list, and a new one in two steps (see who receives it, then send it off the request path)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from enfance.accounts.decorators import staff_required
from enfance.core.pagination import paginate
from enfance.messaging import services
from enfance.messaging.models import Broadcast

from ..message_forms import StaffBroadcastForm

# The value of the "etape" button: without it (or "apercu") the form shows who would receive it, never sends.
SEND, EDIT = "envoyer", "modifier"


@staff_required(edit=True)
@require_GET
def broadcast_list(request):
    broadcasts = Broadcast.objects.select_related("topic", "created_by", "activity")
    return render(request, "backoffice/messages/broadcasts.html", {"page": paginate(request, broadcasts),
                                                                   "section": "messages"})


def _audience(data):
    return {"school": data.get("school", ""), "school_class": data.get("school_class", ""),
            "activity": data.get("activity")}


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def broadcast_new(request):
    form = StaffBroadcastForm(request.POST if request.method == "POST" else None)
    step = request.POST.get("etape")
    if request.method == "GET" or step == EDIT or not form.is_valid():
        return render(request, "backoffice/messages/broadcast_new.html", {"form": form, "section": "messages"})
    data = form.cleaned_data
    households, logins = services.preview(data["audience"], **_audience(data))
    if not households:
        if data["audience"] == Broadcast.Audience.ACTIVITY:
            form.add_error("activity", _("Aucun foyer ne recevrait ce message : aucun enfant n'est inscrit à cette "
                                         "activité (ou, sans inscription, réservé à partir d'aujourd'hui)."))
        else:
            field = "school" if data["audience"] != Broadcast.Audience.ALL else None
            form.add_error(field, _("Aucun foyer ne recevrait ce message : vérifiez le nom de l'école ou de la "
                                    "classe."))
        return render(request, "backoffice/messages/broadcast_new.html", {"form": form, "section": "messages"})
    if step != SEND:
        return render(request, "backoffice/messages/broadcast_confirm.html", {
            "form": form, "households": households, "logins": logins, "section": "messages",
            "audience": form.instance.get_audience_display(),
        })
    broadcast = services.create_broadcast(staff=request.user, subject=data["subject"], body=data["body"],
                                          topic=data["topic"], audience=data["audience"], **_audience(data))
    messages.success(request, ngettext(
        "Message groupé « %(subject)s » en cours d'envoi à %(n)d foyer : il arrive dans sa messagerie.",
        "Message groupé « %(subject)s » en cours d'envoi à %(n)d foyers : il arrive dans leur messagerie.",
        households) % {"subject": broadcast.subject, "n": households})
    return redirect("backoffice:broadcasts")
