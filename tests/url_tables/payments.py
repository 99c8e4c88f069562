"""Rows of the permission matrix (tests/url_table.py) for online payment.

The household's attempt is made directly with the ORM, on the invoice of tests/url_tables/billing_portal.py: the
matrix tests who may open a page, not the payment rules (tests/payments/ do). The result, return and
notification URLs carry the attempt's random token: tested as token links (a tampered token opens nothing).
"""

from decimal import Decimal

from tests.url_table import AGENT, AUTH, PORTAL_WITHOUT_ID, PUBLIC, STAFF, Route
from tests.url_tables.billing_portal import _invoice


def _attempt(s):
    from enfance.payments.models import PaymentAttempt, SandboxOperation

    invoice = _invoice(s)
    attempt = PaymentAttempt.objects.filter(family=s.family, regie=invoice.regie).first()
    if attempt is None:
        operation = SandboxOperation.objects.create(amount=Decimal("6.40"), refdet=invoice.number,
                                                    notify_url="http://testserver/", return_url="http://testserver/")
        attempt = PaymentAttempt.objects.create(regie=invoice.regie, family=s.family, provider="sandbox",
                                                amount=Decimal("6.40"), refdet=invoice.number, email="a@b.fr",
                                                reference=operation.reference, state=PaymentAttempt.State.PENDING)
        attempt.invoices.set([invoice])
    return attempt


def _token(s):
    # No scope (the shared-custody walk names every portal URL): a token no attempt has.
    return {"token": _attempt(s).token if s is not None else "0" * 32}


def _bank(s):
    return {"token": _attempt(s).reference}


def _start(s):
    if s is not None:  # no scope: a page opened without one (the shared-custody walk)
        _invoice(s)
    return {}


def _attempt_id(s):
    return {"attempt_id": _attempt(s).pk}


ROUTES = {
    "payments:list": Route(PORTAL_WITHOUT_ID, kwargs=_start),
    "payments:start": Route(PORTAL_WITHOUT_ID, kwargs=_start, post_only=True, ok=302),
    "payments:abandon": Route(PORTAL_WITHOUT_ID, kwargs=_token, post_only=True, ok=302),
    "payments:result": Route(AUTH, kwargs=_token, marker=b"Votre paiement en ligne"),
    "payments:back": Route(AUTH, kwargs=_token, ok=302, marker=b"Votre paiement en ligne"),
    "payments:notify": Route(AUTH, kwargs=_token, marker=b"OK"),
    # The bank's form posted from our page (a sandbox attempt has none: its result).
    "payments:go": Route(AUTH, kwargs=_token, ok=302, marker=b"Votre paiement en ligne"),
    # A signed-notice bank's one notification URL per régie: anonymous, 404 for what no signed notice names
    # (tests/payments/test_signed_banks.py posts the real ones).
    "payments:regie_notify": Route(PUBLIC, kwargs=lambda s: {"code": "NOREGIE"}, ok=404),
    "payments:sandbox_bank": Route(AUTH, kwargs=_bank, marker=b"Paiement par carte"),
    "backoffice:online_payments": Route(STAFF, role=AGENT),
    "backoffice:online_payment": Route(STAFF, kwargs=_attempt_id, role=AGENT),
    "backoffice:online_payment_reconcile": Route(STAFF, kwargs=_attempt_id, role=AGENT, post_only=True, ok=302),
}
