"""Dates in French words for the billing's staff pages and texts: "1er novembre 2026" (never "1 novembre"), and
a list of days as a sentence: "les 3, 4 et 10 novembre 2026", "le 1er décembre 2026".

Pure functions of dates (no query); the templates use them through the `billing_dates` filters."""

import datetime
from itertools import groupby

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from enfance.core.templatetags.enfance import day_month


def day_number(day):
    """"1er" for the first of a month, else the number: French writes the first day as an ordinal."""
    return _("1er") if day.day == 1 else str(day.day)


def join(items):
    """"a", "a et b", "a, b et c"."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s et %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def as_date(value):
    """A date from a date, a datetime (its local day) or an ISO string; None when it is none of them."""
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def long_date(value, *, year=True):
    """"1er novembre 2026", "3 novembre 2026"; "1er novembre" with year=False. "" for no date."""
    day = as_date(value)
    if day is None:
        return "" if value in (None, "") else str(value)
    return day_month(day, "Y" if year else "")


def days_phrase(values, *, year=True):
    """Days as a French phrase, a month at a time, with its article: "le 1er novembre 2026", "les 3, 4 et 10
    novembre 2026", "les 28 et 30 novembre et le 2 décembre 2026". The year is written once when all the days
    are of one year. Values that are not dates are left out; "" for none."""
    days = sorted({d for d in (as_date(v) for v in values or ()) if d is not None})
    if not days:
        return ""
    one_year = days[0].year == days[-1].year
    months = [list(group) for _key, group in groupby(days, key=lambda d: (d.year, d.month))]
    parts = []
    for i, month in enumerate(months):
        numbers = join(day_number(d) for d in month)
        name = date_format(month[0], "F")
        if year and (not one_year or i == len(months) - 1):
            name = f"{name} {month[0].year}"
        if len(month) == 1:
            parts.append(_("le %(days)s %(month)s") % {"days": numbers, "month": name})
        else:
            parts.append(_("les %(days)s %(month)s") % {"days": numbers, "month": name})
    return join(parts)


def period_phrase(first, last):
    """A span of days: "du 1er au 30 novembre 2026", "du 3 novembre au 2 décembre 2026", "le 4 novembre 2026"."""
    first, last = as_date(first), as_date(last)
    if first is None or last is None:
        return ""
    if first == last:
        return _("le %(day)s") % {"day": long_date(first)}
    if first.year != last.year:
        start = long_date(first)
    elif first.month != last.month:
        start = long_date(first, year=False)
    else:
        start = day_number(first)
    return _("du %(first)s au %(last)s") % {"first": start, "last": long_date(last)}
