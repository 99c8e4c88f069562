"""Who may open which page. Families never reach staff pages; staff never act as a household."""

from functools import wraps

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def family_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_family:
            raise PermissionDenied
        family = user.family
        if family.archived_at is not None:
            logout(request)
            return redirect_to_login(request.get_full_path())
        request.family = family
        return view(request, *args, **kwargs)

    return wrapper


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
