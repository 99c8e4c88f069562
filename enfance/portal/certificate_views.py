"""The household's money documents as PDFs: its statement of account with a régie, and its certificates of a
year (payments; childcare for the tax credit), with the page listing them.

The household's own data only: the régie is chosen among those it has dealt with (?regie=, as on the statement
page: a bad or foreign value falls back to the first, never an error); none at all answers 404, and so does a
year outside 2000-2100.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from enfance.billing import portal_queries
from enfance.documents import certificates, statement
from enfance.documents.http import pdf_response

from .billing_views import SECTION, _chosen
from .decorators import family_required

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _regie(request):
    regie = _chosen(portal_queries.regies_of(request.family), request.GET.get("regie"))
    if regie is None:
        raise Http404
    return regie


def _year(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


@require_GET
@family_required
def statement_pdf(request):
    """The same lines and balance as portal:statement."""
    regie = _regie(request)
    return pdf_response(statement.render(regie, request.family, portal_queries.statement(regie, request.family)))


@require_GET
@family_required
def payment_certificate(request, year):
    year = _year(year)
    return pdf_response(certificates.render_payment(_regie(request), request.family, year))


@require_GET
@family_required
def tax_certificate(request, year):
    year = _year(year)
    return pdf_response(certificates.render_tax(_regie(request), request.family, year))


@require_GET
@family_required
def certificate_list(request):
    """Per régie, the years with a payment and each year's two certificates."""
    years = certificates.payment_years(request.family)
    regies = [(regie, years[regie.pk]) for regie in portal_queries.regies_of(request.family) if regie.pk in years]
    return render(request, "portal/billing/certificates.html", {
        "regies": regies, "several_regies": len(regies) > 1, "section": SECTION,
    })
