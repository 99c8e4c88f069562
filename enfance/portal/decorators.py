"""Who may open the household's pages: a family login of a household that is not archived."""

from functools import wraps

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from enfance.messaging.services import unread_count
from enfance.rules.services import needs_acknowledgement


def family_required(view=None, *, rules_exempt=False):
    """A household's login only; sets request.family.

    Each login accepts the current service rules once per school year before going
    further (rules_exempt for the pages that show them).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_family:
                raise PermissionDenied
            # The household came with the login (User.objects.for_session).
            family = user.family
            if family.archived_at is not None:
                logout(request)
                return redirect_to_login(request.get_full_path())
            request.family = family
            # The menu's count, on every page: read with the login when its compiled query could (accounts.backends)
            unread = getattr(user, "session_unread", None)
            family.inbox_unread = unread_count(family.pk, user) if unread is None else unread
            if not rules_exempt and needs_acknowledgement(request):
                return redirect(f"{reverse('portal:rules')}?{urlencode({'next': request.get_full_path()})}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
