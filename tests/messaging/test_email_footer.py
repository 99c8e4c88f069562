"""Every notification e-mail ends with its signature and its opt-out link once, in the text part and in the HTML
part: an HTML part made from the text (core/email/text_as_html.html) adds no second footer of the layout's."""

import pytest

from enfance.core.mail import render_email
from enfance.messaging import notifications
from tests.core.test_mail_templates import hostile_context

pytestmark = pytest.mark.django_db
OPTOUT = "https://portail.example.org/preferences/desabonnement/signed-token/"
FOOTER = "Vous recevez ce courriel parce que les notifications"


def _context(kind, **extra):
    """The values a template reads (tests.core.test_mail_templates' stand-ins), with a real kind and link."""
    return {**hostile_context(), "optout_url": OPTOUT, "notification": notifications.KINDS[kind], **extra}


def _counts(text, html):
    return (text.count(FOOTER), text.count(OPTOUT), text.count("La mairie de"),
            html.count(FOOTER), html.count(f'href="{OPTOUT}"'), html.count("La mairie de"))


def test_an_html_invoice_email_has_its_footer_once(invoice_context):
    _subject, text, html = render_email("billing/email/invoice_issued.txt", _context("invoice_issued",
                                                                                      **invoice_context))
    assert _counts(text, html) == (1, 1, 1, 1, 1, 1)
    assert "prévenu(e)" not in text + html


@pytest.mark.parametrize("kind", sorted(notifications.KINDS))
def test_every_notification_has_its_footer_once(kind):
    _subject, text, html = render_email(notifications.KINDS[kind].template, _context(kind))
    assert text.count(OPTOUT) == 1, f"{kind}: the opt-out link in the text part {text.count(OPTOUT)} times"
    assert html.count(f'href="{OPTOUT}"') == 1, f"{kind}: the opt-out link in the HTML part"
    assert html.count("Vous recevez ce courriel") == 1, f"{kind}: the footer of the HTML part"


def test_a_notification_without_optout_link_has_no_footer():
    context = {**hostile_context(), "notification": notifications.KINDS["message"]}
    _subject, text, html = render_email("messaging/email/message.txt", context)
    assert "Vous recevez ce courriel" not in text and "Vous recevez ce courriel" not in html


@pytest.fixture
def invoice_context(db):
    from tests.billing.test_notices import issued_invoice

    invoice = issued_invoice()
    return {"invoice": invoice, "amount": "15,30 €", "invoice_path": f"/portail/factures/{invoice.pk}/",
            "period": "octobre 2026", "due": "24 novembre 2026", "previous": ""}
