"""Who may open staff pages. (The household's pages have theirs in portal/decorators.py.)"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def staff_required(view=None, *, edit=False, admin=False):
    """Staff only. edit=True excludes the read-only leaders; admin=True keeps administrators only."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_staff_member:
                raise PermissionDenied
            if admin and not user.is_administrator:
                raise PermissionDenied
            if edit and not user.can_edit_records:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
