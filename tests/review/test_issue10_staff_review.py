"""Staff's review of online payment (issue 10): a régie's bank settings changed while card payments are in
flight, on PostgreSQL, where the row locks are real.

The régie's form flags the attempts still open on the former settings (attempts.save_regie, in the form's
transaction) and takes their rows first, then the régie's, as a notice does (apply(): the attempt, then the
household and the régie its Payment names). Taken the other way round, a notice paying at that moment and the
form would deadlock; PostgreSQL would abort one of them."""

import threading
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from enfance.billing import payments as billing_payments
from enfance.billing.models import Payment
from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt
from tests.changes.test_concurrency import run_together
from tests.conftest import login_client
from tests.documents.test_invoice import make_invoice
from tests.payments.test_attempts import url_for
from tests.payments.test_signed_banks import systempay, systempay_notice

State = PaymentAttempt.State
NEW_SHOP = ("vads_site_id = 99998888\nsecret_test = NewTest1\nsecret_production = NewProd1\n"
            "vads_ctx_mode = PRODUCTION\nsignature_algo = hmac_sha256")


def _pg():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


def _start(login, regie):
    return attempts.start(regie=regie, family=login.family, user=login, invoice_ids=[], url_for=url_for)


def _save_form(admin_user, regie):
    client = login_client(Client(), admin_user)
    response = client.post(reverse("backoffice:regie_edit", args=[regie.pk]), {
        "name": regie.name, "code": regie.code, "address": regie.address, "hours": regie.hours,
        "payment_days": 30, "pay_link": "", "pay_provider": "eopayment:systempayv2", "pay_options": NEW_SHOP})
    return response.status_code


def _notify(attempt, fields):
    return Client().post(reverse("payments:notify", args=[attempt.token]), urlencode(fields),
                         content_type="application/x-www-form-urlencoded").status_code


@pytest.fixture
def regie(alice):
    invoice = make_invoice(alice, total="15.30", previous="0")
    systempay(invoice.regie)
    return invoice.regie


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_the_form_moving_the_shop_while_a_notice_pays_waits_for_it_without_deadlock(alice, admin_user, regie,
                                                                                       monkeypatch):
    _pg()
    attempt = _start(alice, regie)
    notice = systempay_notice(attempt)
    holding, release = threading.Event(), threading.Event()
    record_online = billing_payments.record_online

    def paying(**kwargs):  # apply() holds the attempt's row here, and is about to name the régie in a Payment
        holding.set()
        release.wait(10)
        return record_online(**kwargs)

    monkeypatch.setattr(billing_payments, "record_online", paying)

    def save_meanwhile():
        assert holding.wait(10)
        threading.Timer(0.5, release.set).start()  # the form is waiting on the attempt's row by then
        return _save_form(admin_user, regie)

    results = run_together(lambda: _notify(attempt, notice), save_meanwhile)
    assert results == [200, 302], results
    attempt.refresh_from_db()
    regie.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1
    assert regie.payment_settings["options"]["vads_site_id"] == "99998888"
    assert not attempt.needs_review  # paid before the form looked at it: nothing to check


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_twenty_notices_and_the_form_at_once_record_one_payment_and_flag_or_pay(alice, admin_user, regie):
    _pg()
    attempt = _start(alice, regie)
    notice = systempay_notice(attempt)
    results = run_together(*([lambda: _notify(attempt, notice)] * 20 + [lambda: _save_form(admin_user, regie)]))
    assert results == [200] * 20 + [302], results
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1 and attempt.payment is not None
    # Either the notice came first (nothing to flag) or the form did (flagged, then paid): never lost.
    assert Payment.objects.get().amount == attempt.amount


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_a_family_starting_while_the_form_moves_the_shop_ends_on_the_new_shop(alice, admin_user, regie):
    _pg()
    old = _start(alice, regie)
    results = run_together(lambda: _start(alice, PaymentAttempt.objects.get(pk=old.pk).regie).pk,
                           lambda: _save_form(admin_user, regie))
    assert not [r for r in results if isinstance(r, Exception)], results
    regie.refresh_from_db()
    latest = _start(alice, regie)  # whatever the order, the family now pays at the new shop
    assert dict(latest.bank_form)["vads_site_id"] == "99998888"
    stale = [a for a in PaymentAttempt.objects.filter(state__in=PaymentAttempt.OPEN_STATES).exclude(pk=latest.pk)
             if a.provider_options.get("options", {}).get("vads_site_id") != "99998888"]
    assert stale and all(a.needs_review for a in stale), [(a.pk, a.needs_review) for a in stale]
