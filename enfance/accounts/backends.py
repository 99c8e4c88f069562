"""Signing in by username whatever its case, or by the e-mail address of one's login."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable, get_related_populators


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
        user = session_user(user_id)
        return user if user is not None and user.is_active else None


class _SessionStatement:
    """User.objects.for_session().filter(pk=...) compiled by the ORM once per process and database, and its row
    turned into the login and its household as the ORM's own iterator does (the same columns, converters and
    related populators). Every request of a logged-in person loads its login: compiling that queryset, a join
    of two wide tables, cost three times what running it costs."""

    SENTINEL = -1

    def __init__(self, connection):
        from enfance.messaging.services import unread_count_sql

        User = get_user_model()
        family_column = f"{connection.ops.quote_name(User._meta.db_table)}.{connection.ops.quote_name('family_id')}"
        unread = RawSQL(unread_count_sql(family_column), [self.SENTINEL])
        queryset = User.objects.for_session().annotate(session_unread=unread).filter(pk=self.SENTINEL)
        compiler = queryset.query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        # Not usable when the manager's queryset grew what this does not replay (other parameters, annotations,
        # prefetches, another iterable): the ORM then runs it each time.
        self.usable = (list(params) == [self.SENTINEL] * 2 and list(compiler.annotation_col_map) == ["session_unread"]
                       and not queryset._prefetch_related_lookups and not queryset._known_related_objects
                       and queryset._iterable_class is ModelIterable)
        self.unread_position = compiler.annotation_col_map.get("session_unread")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start:self.end]]
        self.model = klass_info["model"]
        self.populators = get_related_populators(klass_info, select, queryset.db)
        self.converters = list(compiler.get_converters([column[0] for column in select]).items())
        self.prepare = User._meta.pk.get_prep_value

    def user(self, connection, user_id):
        with connection.cursor() as cursor:
            user_id = self.prepare(user_id)
            cursor.execute(self.sql, [user_id, user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = list(row)
            for position, (converters, expression) in self.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        user = self.model.from_db(connection.alias, self.init_list, row[self.start:self.end])
        for populator in self.populators:
            populator.populate(row, user)
        # The menu's count of unread conversations, read now rather than in a query of its own (portal.decorators)
        user.session_unread = row[self.unread_position]
        return user


_session_statements = {}


def session_user(user_id):
    """The login `user_id` with its household, as User.objects.for_session() loads it, or None."""
    User = get_user_model()
    connection = connections[router.db_for_read(User)]
    key = (connection.alias, connection.vendor)
    statement = _session_statements.get(key)
    if statement is None:
        statement = _session_statements[key] = _SessionStatement(connection)
    if not statement.usable:
        return User.objects.for_session().filter(pk=user_id).first()
    return statement.user(connection, user_id)
