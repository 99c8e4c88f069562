"""E-mails the mail server did not take: administrators see them and ask for a new try."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enfance.accounts.decorators import staff_required
from enfance.core import mail
from enfance.core.models import OutgoingEmail
from enfance.core.pagination import paginate

State = OutgoingEmail.State


def troubled_emails():
    """Failed for good, or waiting for a retry after at least one failure."""
    return OutgoingEmail.objects.filter(Q(state=State.FAILED) | Q(state=State.PENDING, attempts__gt=0)).order_by(
        "-created_at", "-pk")


@staff_required(admin=True)
@require_GET
def outbox(request):
    page = paginate(request, troubled_emails().defer("text_body", "html_body"))
    return render(request, "backoffice/outbox.html", {"section": "outbox", "page": page,
                                                       "max_attempts": mail.MAX_ATTEMPTS})


@staff_required(admin=True)
@require_POST
def outbox_retry(request, email_id):
    email = get_object_or_404(OutgoingEmail.objects.exclude(state=State.SENT).only("pk"), pk=email_id)
    retried = mail.retry_now(email.pk)
    if retried is None:
        messages.info(request, _("Ce courriel est déjà en cours d'envoi."))
    else:
        messages.success(request, _("Un nouvel envoi du courriel à %(to)s est demandé.") % {"to": retried.to})
    return redirect("backoffice:outbox")
