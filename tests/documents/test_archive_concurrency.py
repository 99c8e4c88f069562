"""Two workers archiving the same invoices at once (the sweep and after_issue), on PostgreSQL: each invoice ends
with one PDF, the one its row names, and no file is left over."""

from types import SimpleNamespace

import pytest
from django.db import connection

from enfance.billing.models import Invoice
from enfance.documents import invoice as invoice_pdf
from tests.activities.test_bookings import household
from tests.changes.test_concurrency import run_together

from .test_invoice import _files, make_invoice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")


def test_two_workers_archiving_one_batch_store_each_pdf_once():
    invoices = [make_invoice(SimpleNamespace(family=household()[0]), number=f"TEST2026{n:06d}") for n in range(1, 13)]
    ids = [invoice.pk for invoice in invoices]
    results = run_together(*(lambda: invoice_pdf.archive(ids, batch=5) for _ in range(3)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 12  # each invoice recorded by exactly one worker
    names = dict(Invoice.objects.filter(pk__in=ids).values_list("number", "pdf"))
    assert all(names.values())
    assert _files() == sorted(name.rsplit("/", 1)[1] for name in names.values())  # no copy left over
