"""Booking and cancellation deadlines, in the forms communes' rules use.

A rule says, for a booked day, until when a family may book it (or cancel it):

- DaysBefore(1, 18:00)              "la veille à 18 h";
- DaysBefore(3, 0:00, open_days)    "3 jours ouvrés avant" (weekends, public holidays and closures skipped);
- HoursBefore(72)                   "72 h avant" the day begins: 72 hours of clock time, summer time included;
- WeekdayBefore(3, 12:00)           "jeudi 12 h de la semaine précédente" (for every day of the next week);
- PerWeekday({0: (4, 11:00), ...})  "vendredi 11 h pour le lundi, lundi 11 h pour le mardi...": for each
                                     weekday booked, the last such weekday before it;
- DayOfPreviousMonth(15, 12:00)     "le 15 du mois précédent à midi" (holiday sessions).

Times are wall-clock times of the commune (settings.TIME_ZONE): a deadline is an aware datetime. A time that
does not exist (2:30 on the night clocks go forward) moves by the hour skipped, to 3:30; a time that exists
twice (2:30 on the night they go back) is its first occurrence. 0:00 is the start of that day: "DaysBefore(0,
0:00)" closes a day the moment it begins. Rules are stored as JSON (rule_from_json) and told to families in
French (describe).
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


class RuleError(ValueError):
    """A rule that cannot be: its message says why, in French."""


def local_zone():
    return ZoneInfo(settings.TIME_ZONE)


def at_local(day, at):
    """The aware instant of wall-clock time `at` on `day` in the commune's zone (see the module's note)."""
    zone = local_zone()
    # fold=0: of a time that exists twice, the first; the round trip through UTC moves a time inside the
    # spring-forward gap by the hour skipped (2:30 becomes 3:30).
    return datetime.datetime.combine(day, at, tzinfo=zone).astimezone(datetime.UTC).astimezone(zone)


def _hhmm(at):
    # 0 h, not "minuit": "la veille à minuit" reads as the end of that day, the rule means its start.
    if at.minute:
        return f"{at.hour} h {at.minute:02d}"
    return _("midi") if at.hour == 12 else f"{at.hour} h"


@dataclass(frozen=True)
class DaysBefore:
    days: int
    at: datetime.time
    open_days: bool = False

    def deadline(self, day, calendar):
        if not self.open_days:
            return at_local(day - datetime.timedelta(days=self.days), self.at)
        moment, counted = day, 0
        while counted < self.days:
            moment -= datetime.timedelta(days=1)
            if calendar.is_open_day(moment):
                counted += 1
        return at_local(moment, self.at)

    def describe(self):
        if self.days == 0:
            return _("le jour même à %(at)s") % {"at": _hhmm(self.at)}
        if self.days == 1 and not self.open_days:
            return _("la veille à %(at)s") % {"at": _hhmm(self.at)}
        if self.open_days:
            text = ngettext("%(n)s jour ouvré avant, à %(at)s", "%(n)s jours ouvrés avant, à %(at)s", self.days)
        else:
            text = ngettext("%(n)s jour avant, à %(at)s", "%(n)s jours avant, à %(at)s", self.days)
        return text % {"n": self.days, "at": _hhmm(self.at)}


@dataclass(frozen=True)
class HoursBefore:
    hours: int

    def deadline(self, day, calendar):
        start = at_local(day, datetime.time(0, 0))
        return (start.astimezone(datetime.UTC) - datetime.timedelta(hours=self.hours)).astimezone(local_zone())

    def describe(self):
        return ngettext("%(n)s heure avant le jour réservé", "%(n)s heures avant le jour réservé",
                        self.hours) % {"n": self.hours}


def _last_weekday_before(day, weekday):
    """The last date strictly before `day` that falls on `weekday` (1 to 7 days before)."""
    back = (day.weekday() - weekday) % 7 or 7
    return day - datetime.timedelta(days=back)


@dataclass(frozen=True)
class WeekdayBefore:
    """A weekday of the week before the booked day's week (weeks run Monday to Sunday)."""

    weekday: int
    at: datetime.time

    def deadline(self, day, calendar):
        monday = day - datetime.timedelta(days=day.weekday())
        return at_local(monday - datetime.timedelta(days=7 - self.weekday), self.at)

    def describe(self):
        return _("%(weekday)s %(at)s de la semaine précédente") % {"weekday": WEEKDAYS[self.weekday],
                                                                   "at": _hhmm(self.at)}


@dataclass(frozen=True)
class PerWeekday:
    """{weekday booked: (weekday of the deadline, time)}: the last such weekday before the booked day."""

    table: tuple  # ((booked weekday, deadline weekday, time), ...), sorted

    def deadline(self, day, calendar):
        for booked, weekday, at in self.table:
            if booked == day.weekday():
                return at_local(_last_weekday_before(day, weekday), at)
        raise RuleError(_("Aucun délai n'est prévu pour le %(weekday)s.") % {"weekday": WEEKDAYS[day.weekday()]})

    def describe(self):
        return ", ".join(_("%(weekday)s %(at)s pour le %(booked)s") % {
            "weekday": WEEKDAYS[weekday], "at": _hhmm(at), "booked": WEEKDAYS[booked]}
            for booked, weekday, at in self.table)


@dataclass(frozen=True)
class DayOfPreviousMonth:
    day: int
    at: datetime.time

    def deadline(self, day, calendar):
        last_of_previous = day.replace(day=1) - datetime.timedelta(days=1)
        return at_local(last_of_previous.replace(day=min(self.day, last_of_previous.day)), self.at)

    def describe(self):
        return _("le %(day)s du mois précédent à %(at)s") % {"day": self.day, "at": _hhmm(self.at)}


def is_before(moment, deadline):
    """Whether `moment` comes before `deadline` (the first instant refused).

    Compared in UTC: between two datetimes of one zone Python compares wall-clock times, which the night
    clocks go back would get wrong."""
    return moment.astimezone(datetime.UTC) < deadline.astimezone(datetime.UTC)


def is_open_for(day, rule, calendar, now):
    """Whether `now` is still before the rule's deadline for `day`."""
    return is_before(now, rule.deadline(day, calendar))


# --- stored as JSON --------------------------------------------------------------------------

def _time(value):
    try:
        hour, minute = (int(part) for part in str(value).split(":"))
        return datetime.time(hour, minute)
    except (TypeError, ValueError) as exc:
        raise RuleError(_("Heure invalide : %(value)s (attendu : HH:MM).") % {"value": value}) from exc


def _int(value, low, high, what):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RuleError(_("%(what)s : un nombre entier de %(low)s à %(high)s est attendu.")
                        % {"what": what, "low": low, "high": high})
    return value


def rule_from_json(data):
    """A rule from its stored form, {"kind": ..., ...}; RuleError with a French message when it cannot be."""
    if not isinstance(data, dict):
        raise RuleError(_("Règle de délai invalide."))
    kind = data.get("kind")
    if kind == "days_before":
        return DaysBefore(_int(data.get("days"), 0, 60, _("Nombre de jours")), _time(data.get("at")),
                          bool(data.get("open_days", False)))
    if kind == "hours_before":
        return HoursBefore(_int(data.get("hours"), 1, 24 * 60, _("Nombre d'heures")))
    if kind == "weekday_before":
        return WeekdayBefore(_int(data.get("weekday"), 0, 6, _("Jour de la semaine")), _time(data.get("at")))
    if kind == "per_weekday":
        rows = data.get("table")
        if not isinstance(rows, list) or not rows:
            raise RuleError(_("Indiquez au moins un jour."))
        table = []
        for row in rows:
            if not isinstance(row, dict):
                raise RuleError(_("Règle de délai invalide."))
            table.append((_int(row.get("booked"), 0, 6, _("Jour réservé")),
                          _int(row.get("weekday"), 0, 6, _("Jour du délai")), _time(row.get("at"))))
        if len({booked for booked, _w, _a in table}) != len(table):
            raise RuleError(_("Un même jour réservé a deux délais."))
        return PerWeekday(tuple(sorted(table)))
    if kind == "day_of_previous_month":
        return DayOfPreviousMonth(_int(data.get("day"), 1, 31, _("Jour du mois")), _time(data.get("at")))
    raise RuleError(_("Type de délai inconnu."))


def rule_to_json(rule):
    at = getattr(rule, "at", None)
    text = f"{at:%H:%M}" if at is not None else None
    if isinstance(rule, DaysBefore):
        return {"kind": "days_before", "days": rule.days, "at": text, "open_days": rule.open_days}
    if isinstance(rule, HoursBefore):
        return {"kind": "hours_before", "hours": rule.hours}
    if isinstance(rule, WeekdayBefore):
        return {"kind": "weekday_before", "weekday": rule.weekday, "at": text}
    if isinstance(rule, PerWeekday):
        return {"kind": "per_weekday", "table": [{"booked": b, "weekday": w, "at": f"{a:%H:%M}"}
                                                  for b, w, a in rule.table]}
    if isinstance(rule, DayOfPreviousMonth):
        return {"kind": "day_of_previous_month", "day": rule.day, "at": text}
    raise TypeError(rule)
