"""Signing in by username whatever its case, or by the e-mail address of one's login."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def axes_username(request, credentials=None):
    """The identifier axes counts failures against: as typed, but in lower case.

    Without it, "Famille.Alice" and "famille.alice" would each get their own five tries.
    """
    if credentials:
        value = credentials.get("username")
    else:
        value = getattr(request, "POST", {}).get("username")
    return value.strip().lower() if value else value


def find_login(identifier):
    """The one login this identifier names, or None: never one picked at random among several."""
    User = get_user_model()
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    by_name = list(User.objects.filter(username__iexact=identifier)[:2])
    if len(by_name) > 1:  # logins made before the case-insensitive check: only the exact spelling
        by_name = [u for u in by_name if u.username == identifier]
    if by_name:
        return by_name[0] if len(by_name) == 1 else None
    if "@" not in identifier:
        return None
    by_email = list(User.objects.filter(email__iexact=identifier).order_by("-is_active", "pk")[:3])
    open_ones = [u for u in by_email if u.is_active]
    if len(open_ones) == 1:
        return open_ones[0]
    if not open_ones and len(by_email) == 1:
        return by_email[0]  # a closed login, so that the form can say it is closed
    return None


class LoginBackend(ModelBackend):
    """ModelBackend with a case-insensitive username, the login's e-mail address as an alternative,
    and closed logins handed to the login form (its confirm_login_allowed refuses them with their own
    message) once their password is right. A closed login still never holds a session: see get_user.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_login(username)
        if user is None:
            # Hash anyway, so that the answer takes as long for a login that does not exist.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password):
            return user
        return None

    def user_can_authenticate(self, user):
        return True  # authenticate() only; get_user() checks is_active itself

    def get_user(self, user_id):
        user = get_user_model().objects.for_session().filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
