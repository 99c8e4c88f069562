"""Off the request path: the sandbox bank's notification, sent as a bank's server would."""

from django_tasks import task


@task(queue_name="default")
def sandbox_notify(operation_id):
    from . import sandbox

    return sandbox.send_notification(operation_id)
