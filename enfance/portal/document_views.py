"""The household's PDF editions: its children's sheets and its own dossier to print and sign."""

from django.views.decorators.http import require_GET

from enfance.documents import child_sheet, dossier
from enfance.documents.http import pdf_response
from enfance.families import access

from .decorators import family_required


@require_GET
@family_required
def child_sheet_pdf(request, child_id, complete=False):
    """Its own child only (404 for any other); its own household and authorised persons only, even in shared
    custody."""
    child = access.get_child_for_family(request.family, child_id, with_health=complete)
    return pdf_response(child_sheet.render(child, complete=complete, family=request.family))


@require_GET
@family_required
def dossier_pdf(request):
    return pdf_response(dossier.render_family(request.family))
