"""Database functions that behave the same on PostgreSQL and SQLite.

Searching "elodie" must find "Élodie" on both. PostgreSQL has the `unaccent` extension (created by a
migration of `families`); SQLite gets the same functions, written in Python, on each new connection.
"""

import re
import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import CharField, Expression, F, Func, Value
from django.db.models.functions import Replace

SQLITE_UNACCENT = "enfance_unaccent"
SQLITE_FOLD = "enfance_fold"
# What unicodedata's decomposition leaves whole but PostgreSQL's unaccent rules spell out.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
PHONE_SEPARATORS = (" ", ".", "-", "/", "\u00a0")
_NOT_DIGIT = re.compile(r"\D")


def strip_accents(text):
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text):
    """The form in which two spellings compare equal: no accent, lower case."""
    return None if text is None else strip_accents(text).lower()


def digits(text):
    return _NOT_DIGIT.sub("", text or "")


class Unaccent(Func):
    """unaccent(expression): PostgreSQL's extension, or the function registered on SQLite connections."""

    function = "UNACCENT"
    arity = 1
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=SQLITE_UNACCENT, **extra_context)


class Fold(Func):
    """fold(expression) in SQL: unaccent(lower(...)).

    SQLite's LOWER() knows ASCII letters only ("É" stays "É"), so SQLite folds in Python in one call.
    """

    template = "UNACCENT(LOWER(%(expressions)s))"
    arity = 1
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template=f"{SQLITE_FOLD}(%(expressions)s)", **extra_context)


def folded(field):
    """A field as `fold()` would write it, for comparing with a folded search term."""
    return Fold(F(field) if isinstance(field, str) else field)


def phone_digits(field):
    """A phone field without its usual separators, so "06 12 34 56 78" compares with "0612345678"."""
    expression = F(field)
    for separator in PHONE_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        # deterministic: SQLite may then use it in indexes and skip re-evaluating it.
        connection.connection.create_function(SQLITE_UNACCENT, 1, strip_accents, deterministic=True)
        connection.connection.create_function(SQLITE_FOLD, 1, fold, deterministic=True)


connection_created.connect(_register_sqlite_functions, dispatch_uid="enfance.core.db.sqlite_functions")


class RowSQL(Expression):
    """Raw SQL about the query's own row: `{row}` in `template` becomes the alias of the query's table.

    RawSQL would name the table itself, which breaks once Django renames it (the queryset used as a
    subquery, where the table becomes U0). As cheap to compile as RawSQL, for the few expressions read on
    every page whose ORM form cost more to build than to run."""

    def __init__(self, template, params=(), *, output_field):
        super().__init__(output_field=output_field)
        self.template, self.params = template, list(params)

    def as_sql(self, compiler, connection):
        row = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"({self.template.format(row=row)})", self.params

    def get_group_by_cols(self):
        return [self]
