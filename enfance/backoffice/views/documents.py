"""The staff's PDF editions: a child's sheet, a household's dossier, a pending pre-registration's.

Activity leaders get the simple sheet of the children of their activities (404 for the others, as on their other
pages) and never the complete one: it is a lasting paper copy of health data and of who may or may not collect the
child, made for the records that agents and administrators keep. On screen, a leader's opening of the health page
stays logged one by one.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from enfance.accounts.decorators import staff_required
from enfance.core import audit
from enfance.documents import child_sheet, dossier
from enfance.documents.http import pdf_response
from enfance.families import access
from enfance.families.models import NewHouseholdApplication


@staff_required
@require_GET
def child_sheet_pdf(request, child_id):
    child = access.get_child_for_staff(request.user, child_id)
    return pdf_response(child_sheet.render(child, complete=False))


@staff_required(edit=True)
@require_GET
def child_sheet_complete_pdf(request, child_id):
    """Health data: each download is logged like an opening of the health page."""
    child = access.get_child_for_staff(request.user, child_id)
    audit.log_health_access(request, child)
    return pdf_response(child_sheet.render(child, complete=True))


@staff_required(edit=True)
@require_GET
def family_dossier_pdf(request, family_id):
    family = access.get_family_for_staff(request.user, family_id)
    return pdf_response(dossier.render_family(family))


@staff_required(edit=True)
@require_GET
def application_dossier_pdf(request, application_id):
    """Only while pending: once decided, the household's own dossier (or nothing) is the one to print."""
    application = get_object_or_404(NewHouseholdApplication, pk=application_id)
    if not application.is_pending:
        raise Http404
    return pdf_response(dossier.render_application(application))
