"""A rendered edition as the response to a download."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def pdf_response(edition, *, private=True):
    """Inline (the browser shows it, ready to print) under an ASCII name; never kept by a cache when it names
    a person."""
    response = HttpResponse(edition.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, edition.filename)
    response["Cache-Control"] = "private, no-store" if private else "public, max-age=3600"
    return response
