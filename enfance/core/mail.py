"""E-mail, sent off the request path through the task backend (the worker in production)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django_tasks import task


@task()
def deliver_email(to, subject, body):
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


def send_templated_email(to, template, context):
    """Render `template` (first line: subject) and queue it once the transaction commits."""
    recipients = [addr for addr in ([to] if isinstance(to, str) else to) if addr]
    if not recipients:
        return
    text = render_to_string(template, {"SITE_URL": settings.SITE_URL, "COMMUNE_NAME": settings.COMMUNE_NAME,
                                       **context})
    subject, _, body = text.strip().partition("\n")
    transaction.on_commit(lambda: deliver_email.enqueue(recipients, subject.strip(), body.strip() + "\n"))
