"""Background tasks of core. E-mail has its own queue (and worker): a long run never delays a password reset."""

from django_tasks import task

EMAIL_QUEUE = "email"


@task(queue_name=EMAIL_QUEUE)
def send_email(email_id):
    from .mail import deliver

    return deliver(email_id)
