"""The household's invoices, one invoice or credit note explained line by line, and its account statement.

Reads only: what is shown comes from enfance.billing.portal_queries (a fixed number of queries whatever the number
of invoices). Only issued invoices and credit notes exist here: another household's, a draft or a discarded one
answers 404 exactly like a missing identifier (portal_queries.get_invoice_for_family).
"""

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from enfance.billing import portal_queries
from enfance.billing.money import ZERO, money
from enfance.core.pagination import paginate
from enfance.core.values import parse_id
from enfance.documents import invoice as invoice_pdf
from enfance.documents.http import pdf_response
from enfance.payments.views import mark_in_progress, mark_invoice_in_progress

from .decorators import family_required

SECTION = "billing"


def _pdf_url(invoice):
    """The invoice's PDF on the portal once enfance/documents serves it (a view named portal:invoice_pdf), else
    None: no link to a PDF that does not exist."""
    try:
        return reverse("portal:invoice_pdf", args=[invoice.pk])
    except NoReverseMatch:
        return None


@require_GET
@family_required
def invoices(request):
    family = request.family
    page = paginate(request, portal_queries.invoice_list(family))
    rows = portal_queries.decorate(page.object_list)
    accounts = portal_queries.accounts(family)
    mark_in_progress(family, [(account.regie, account.owed) for account in accounts])  # one query, if owed
    return render(request, "portal/billing/invoices.html", {
        "page": page, "invoices": rows, "accounts": accounts, "several_regies": len(accounts) > 1,
        "quotient": portal_queries.quotient_today(family), "section": SECTION,
    })


@require_GET
@family_required
def invoice(request, invoice_id):
    found = portal_queries.get_invoice_for_family(request.family, invoice_id)
    detail = portal_queries.invoice_detail(found)
    mark_invoice_in_progress(request.family, found.regie, found)  # its pay button: two queries, if left to pay
    return render(request, "portal/billing/invoice.html", {
        "invoice": found, "detail": detail, "regie": found.regie,
        # What the PDF prints: the previous balance plus this invoice, as of its issue.
        "due_with_previous": money(found.previous_balance + found.signed_total),
        "period": portal_queries.period_text(found.first_day, found.last_day),
        "pdf_url": _pdf_url(found), "section": SECTION,
    })


@require_GET
@family_required
def invoice_pdf_view(request, invoice_id):
    """The PDF archived at the issue (made and stored now if missing): the household's own issued ones only."""
    found = portal_queries.get_invoice_for_family(request.family, invoice_id)
    return pdf_response(invoice_pdf.stored_pdf(found))


def _chosen(regies, value):
    """The régie named by ?regie= among the household's, else the first: never an error on a bad value."""
    wanted = parse_id(value)  # ASCII digits only: "²".isdigit() is True, int("²") raises
    if wanted is not None:
        for regie in regies:
            if regie.pk == wanted:
                return regie
    return regies[0] if regies else None


@require_GET
@family_required
def statement(request):
    family = request.family
    regies = portal_queries.regies_of(family)
    regie = _chosen(regies, request.GET.get("regie"))
    lines = portal_queries.statement(regie, family) if regie is not None else []
    balance = lines[-1].balance if lines else ZERO
    if regie is not None:
        mark_in_progress(family, [(regie, balance)])  # its pay button: one query, if owed
    return render(request, "portal/billing/statement.html", {
        "regies": regies, "regie": regie, "lines": lines, "balance": balance,
        "today": timezone.localdate(), "section": SECTION,
    })
