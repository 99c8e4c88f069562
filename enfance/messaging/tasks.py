from django_tasks import task


@task(queue_name="default")
def send_broadcast(broadcast_id):
    from .services import deliver_broadcast

    return deliver_broadcast(broadcast_id)
