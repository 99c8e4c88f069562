"""The staff's copy of an issued invoice or credit note: the PDF archived at the issue, for agents and
administrators (leaders never see money), the households they may see only (as on the invoice page)."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from enfance.accounts.decorators import staff_required
from enfance.billing.models import Invoice
from enfance.documents import invoice as invoice_edition
from enfance.documents.http import pdf_response
from enfance.families import access


@staff_required(edit=True)
@require_GET
def invoice_pdf(request, invoice_id):
    invoice = get_object_or_404(
        Invoice.objects.filter(family__in=access.families_visible_to(request.user), state=Invoice.State.ISSUED),
        pk=invoice_id)
    return pdf_response(invoice_edition.stored_pdf(invoice))
