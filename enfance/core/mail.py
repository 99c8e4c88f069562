"""E-mail through the outbox: rendered and stored in the caller's transaction, sent by a task that retries.

A template `app/email/foo.txt` gives the subject (its first line) and the plain-text body, rendered
WITHOUT HTML escaping (an apostrophe stays an apostrophe); `app/email/foo.html`, when it exists, gives
the HTML part, autoescaped. Without one, the HTML part is the text part, escaped, in the common layout.
"""

import datetime
import logging
from functools import cache, partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, models, transaction
from django.template import TemplateDoesNotExist
from django.template.backends.django import DjangoTemplates
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import capfirst

from .models import OutgoingEmail

logger = logging.getLogger(__name__)

State = OutgoingEmail.State
# Delay before each retry, after the 1st, 2nd... failed attempt; one more failure and the e-mail is "failed".
RETRY_DELAYS = [datetime.timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360)]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# The task sends at once; the sweep takes a row only after this, in case the task never ran.
BACKSTOP_DELAY = datetime.timedelta(minutes=2)
# A row "sending" for longer belongs to a worker that died: it goes back to the queue.
STUCK_AFTER = datetime.timedelta(minutes=10)
SENT_KEPT_FOR = datetime.timedelta(days=30)


@cache
def _text_engine():
    """The project's templates, rendered as plain text: no HTML escaping of the values."""
    return DjangoTemplates({"NAME": "email_text", "DIRS": settings.TEMPLATES[0].get("DIRS", []), "APP_DIRS": True,
                            "OPTIONS": {"autoescape": False}})


def html_template_name(template):
    return template.removesuffix(".txt") + ".html"


def render_email(template, context):
    """(subject, text, html) of the e-mail `template` (the .txt) for this context."""
    context = {"SITE_URL": settings.SITE_URL, "COMMUNE_NAME": settings.COMMUNE_NAME, **context}
    rendered = _text_engine().get_template(template).render(context)
    subject, _, text = rendered.strip().partition("\n")
    subject, text = " ".join(subject.split()), text.strip() + "\n"
    html_context = {**context, "subject": subject}
    try:
        html = render_to_string(html_template_name(template), html_context)
    except TemplateDoesNotExist:
        html = render_to_string("core/email/text_as_html.html", {**html_context, "text": text})
    return subject, text, html


def default_reference(context):
    """'Demande n° 4': the first model instance of the context names what caused the e-mail."""
    for value in context.values():
        if isinstance(value, models.Model) and value.pk is not None:
            return f"{capfirst(value._meta.verbose_name)} n° {value.pk}"[:150]
    return ""


def send_templated_email(to, template, context, *, reference=None, unsubscribe_url=""):
    """Render `template` for each recipient into the outbox, in the current transaction; send on commit."""
    recipients = list(dict.fromkeys(addr for addr in ([to] if isinstance(to, str) else to) if addr))
    if not recipients:
        return []
    subject, text, html = render_email(template, context)
    reference = default_reference(context) if reference is None else reference
    return [queue_email(addr, subject, text, html, template=template, reference=reference,
                        unsubscribe_url=unsubscribe_url) for addr in recipients]


def queue_email(to, subject, text, html="", *, template="", reference="", unsubscribe_url=""):
    now = timezone.now()
    email = OutgoingEmail.objects.create(
        to=to, subject=subject[:300], text_body=text, html_body=html, template=template,
        reference=reference[:150], unsubscribe_url=unsubscribe_url, next_attempt_at=now + BACKSTOP_DELAY,
        created_at=now,
    )
    transaction.on_commit(partial(enqueue, email.pk))
    return email


def enqueue(email_id):
    from .tasks import send_email

    try:
        send_email.enqueue(email_id)
    except Exception:
        # The row is committed: the sweep sends it even when the task queue is out of order.
        logger.exception("E-mail %s not queued; the sweep will send it", email_id)


def _lock(queryset):
    skip = connection.features.has_select_for_update_skip_locked
    return queryset.select_for_update(skip_locked=True) if skip else queryset.select_for_update()


def deliver(email_id):
    """Send one pending e-mail; True when the mail server took it. Two workers never send it both."""
    with transaction.atomic():
        email = _lock(OutgoingEmail.objects.filter(pk=email_id, state=State.PENDING)).first()
        if email is None:
            return False  # sent, failed, or being sent by another worker
        email.state, email.claimed_at, email.attempts = State.SENDING, timezone.now(), email.attempts + 1
        email.save(update_fields=["state", "claimed_at", "attempts"])
    # The mail server is called outside any transaction: no row stays locked while it answers.
    try:
        headers = {}
        if email.unsubscribe_url:
            headers = {"List-Unsubscribe": f"<{email.unsubscribe_url}>",
                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        message = EmailMultiAlternatives(email.subject, email.text_body, settings.DEFAULT_FROM_EMAIL, [email.to],
                                         headers=headers)
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        message.send(fail_silently=False)
    except Exception as exc:
        if not isinstance(exc, OSError):  # SMTPException and network errors are OSError: expected
            logger.exception("E-mail %s could not be sent", email.pk)
        _record_failure(email, exc)
        return False
    OutgoingEmail.objects.filter(pk=email.pk, state=State.SENDING).update(
        state=State.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error="")
    return True


def _next_state(attempts, now):
    if attempts >= MAX_ATTEMPTS:
        return State.FAILED, None
    return State.PENDING, now + RETRY_DELAYS[max(attempts, 1) - 1]


def _record_failure(email, exc):
    state, next_at = _next_state(email.attempts, timezone.now())
    error = f"{type(exc).__name__}: {exc}"[:2000]
    OutgoingEmail.objects.filter(pk=email.pk, state=State.SENDING).update(
        state=state, next_attempt_at=next_at, last_error=error)


def recover_stuck(now=None):
    """Rows left "sending" by a worker that died go back to the queue (or fail after the last attempt)."""
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        for email in _lock(OutgoingEmail.objects.filter(state=State.SENDING, claimed_at__lt=now - STUCK_AFTER)):
            # Sent again at once: the worker died, the mail server may well be fine.
            email.state = State.FAILED if email.attempts >= MAX_ATTEMPTS else State.PENDING
            email.next_attempt_at = None if email.state == State.FAILED else now
            email.last_error = email.last_error or "Envoi interrompu (processus arrêté)"
            email.save(update_fields=["state", "next_attempt_at", "last_error"])
            count += 1
    return count


def send_due(now=None, limit=200):
    """Send the pending e-mails whose time has come; the number sent."""
    now = now or timezone.now()
    due = (OutgoingEmail.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
           .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return sum(deliver(pk) for pk in list(due))


def purge_sent(now=None):
    """Sent e-mails carry links and personal data: they are kept a month, then deleted."""
    now = now or timezone.now()
    deleted, _ = OutgoingEmail.objects.filter(state=State.SENT, sent_at__lt=now - SENT_KEPT_FOR).delete()
    return deleted


def retry_now(email_id):
    """Staff ask for a new try of an e-mail that failed or is waiting for its next attempt."""
    with transaction.atomic():
        email = _lock(OutgoingEmail.objects.filter(pk=email_id, state__in=[State.FAILED, State.PENDING])).first()
        if email is None:
            return None
        email.state, email.attempts = State.PENDING, 0
        email.next_attempt_at = timezone.now() + BACKSTOP_DELAY
        email.save(update_fields=["state", "attempts", "next_attempt_at"])
        transaction.on_commit(partial(enqueue, email.pk))
    return email


def sweep_outbox():
    """The sweep's job: rows of dead workers back in the queue, then every e-mail due."""
    return recover_stuck() + send_due()
