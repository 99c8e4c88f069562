from .models import ChangeRequest


def staff_counts(request):
    """The number of pending requests, on every staff page (one query, staff only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.can_edit_records:
        return {}

    def count():
        return ChangeRequest.objects.filter(status=ChangeRequest.Status.PENDING).count()

    return {"pending_requests_count": count}
