from enfance.changes.models import ChangeRequest
from enfance.families.models import NewHouseholdApplication

from . import message_queries


def staff_counts(request):
    """The numbers of pending requests, applications and conversations waiting for the commune, on every staff
    page (staff who decide only).

    Callables: the template evaluates them only where the menu is shown.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.can_edit_records:
        return {}

    def count():
        return ChangeRequest.objects.pending().count()

    def applications():
        return NewHouseholdApplication.objects.filter(status=NewHouseholdApplication.Status.PENDING).count()

    return {"pending_requests_count": count, "pending_applications_count": applications,
            "waiting_threads_count": message_queries.waiting_count}
