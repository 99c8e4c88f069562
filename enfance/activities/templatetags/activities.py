"""The portal calendar's weeks and days, rendered in Python: a month for three children is hundreds of cells, and
the page is the one families open most on the day bookings open (see bench/). One markup for every screen: the
stylesheet lays the days out as a month grid on wide screens and as a list on phones.

Every text that does not depend on the household (state labels, day headings, reasons) is escaped once per
process and language (the functions memoised below); a cell is then one f-string."""

import datetime
import html
from functools import lru_cache

from django import template
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from enfance.activities.family_calendar import Status

register = template.Library()

HELD = (Status.BOOKED, Status.WAITING, Status.OFFERED, Status.ABSENT, Status.OTHER_HOUSEHOLD)


@lru_cache(maxsize=8)
def _texts(language):
    """The calendar's fixed words in `language`, escaped; a cell's state by (status, full)."""
    labels = {
        Status.BOOKED: _("Réservé"), Status.WAITING: _("Liste d'attente"), Status.OFFERED: _("Place à accepter"),
        Status.ABSENT: _("Absent(e)"), Status.OTHER_HOUSEHOLD: _("Réservé par l'autre foyer"),
        Status.OPEN: _("Non réservé"), Status.LOCKED: _("Non réservable"),
    }
    full = " – " + _("complet")
    texts = {(status, False): html.escape(label) for status, label in labels.items()}
    texts.update({(status, True): html.escape(label + full) for status, label in labels.items()})
    texts.update({
        "today": html.escape(_("aujourd’hui")),
        "no_activity": html.escape(_("Aucune activité ce jour-là.")),
        "nothing_held": html.escape(_("Rien de réservé ce jour-là.")),
        "past_week": html.escape(_("Semaine passée : voir ce qui était réservé")),
        "save": html.escape(_("Enregistrer mes changements")),
    })
    return texts


@lru_cache(maxsize=4096)
def _escaped(text):
    """A reason or a name, escaped (the same few dozen texts come back on every page)."""
    return html.escape(text)


@lru_cache(maxsize=1024)
def _day_text(day, _language):
    return html.escape(date_format(day, "l j F"))


@lru_cache(maxsize=256)
def _closed(why, _language):
    return html.escape(_("Fermé : %(why)s") % {"why": why})


def _cell(cell, texts, day_text):
    """One child, unit and day: a checkbox whose name says child, unit and day, its state and reason linked to it
    (aria-describedby); a cell that cannot change has a mark in the checkbox's place, so that the columns align."""
    key, status, reason = cell.key, cell.status, cell.reason
    state = texts[(status, cell.full)]
    why = f' <span class="cal-why" id="w{key}">{_escaped(reason)}</span>' if reason else ""
    # An unticked box says "not booked" by itself: the words are for screen readers only.
    state_class = "cal-state visually-hidden" if status == Status.OPEN and not cell.full else "cal-state"
    note = f'<span class="cal-note"><span class="{state_class}" id="s{key}">{state}</span>{why}</span></li>'
    if cell.can_book or cell.can_cancel:
        described = f"s{key} w{key}" if reason else f"s{key}"
        if status in (Status.BOOKED, Status.WAITING, Status.OFFERED):
            checked = f' checked><input type="hidden" name="was" value="{key}">'
        else:
            checked = ">"
        return (f'<li class="cal-cell cal-{status}"><input type="checkbox" name="b" value="{key}" id="c{key}" '
                f'aria-describedby="{described}"{checked}<label for="c{key}">{_title(cell.unit)}'
                f'<span class="visually-hidden"> – {_name(cell.child)}, {day_text}</span></label>{note}')
    return (f'<li class="cal-cell cal-{status}"><span class="cal-mark" aria-hidden="true"></span>'
            f'<span class="cal-title">{_title(cell.unit)}</span>{note}')


def _title(unit):
    """The unit's name and its activity's, escaped once per unit (the calendar shares one Unit per page)."""
    title = getattr(unit, "_calendar_title", None)
    if title is None:
        title = unit._calendar_title = (f'<span class="cal-unit">{html.escape(unit.name)}</span> '
                                        f'<span class="cal-activity">{html.escape(unit.activity.name)}</span>')
    return title


def _name(child):
    return _escaped(child.first_name)


def _past_cell(cell, texts):
    """A day gone by: what was held, in one line (its deadlines no longer matter)."""
    reason = f' <span class="cal-why">{_escaped(cell.reason)}</span>' if cell.status == Status.OTHER_HOUSEHOLD else ""
    return (f'<li class="cal-cell cal-{cell.status}"><span class="cal-mark" aria-hidden="true"></span>'
            f'<span class="cal-title">{_title(cell.unit)}</span>'
            f'<span class="cal-note"><span class="cal-state">{texts[(cell.status, False)]}</span>{reason}</span></li>')


def _editable(day):
    return any(cell.can_book or cell.can_cancel for child_day in day.children for cell in child_day.cells)


def _day(day, today, texts, language):
    """A day's section: its heading, then each child's cells (or why there are none)."""
    day_text = _day_text(day.day, language)
    heading_id = f"j{day.day:%Y%m%d}"
    past = day.day < today and not _editable(day)
    classes = "cal-day" + (" cal-day-past" if past else "") + (" cal-day-today" if day.day == today else "")
    heading = day_text + (f' <span class="cal-today">{texts["today"]}</span>' if day.day == today else "")
    parts = [f'<section class="{classes}" aria-labelledby="{heading_id}"><h3 id="{heading_id}">{heading}</h3>']
    if day.closed:
        parts.append(f'<p class="cal-closed">{_closed(day.closed, language)}</p>')
    elif not day.has_cells:
        parts.append(f'<p class="cal-closed">{texts["no_activity"]}</p>')
    elif past:
        held = [(child_day.child, [c for c in child_day.cells if c.status in HELD]) for child_day in day.children]
        if not any(cells for _child, cells in held):
            parts.append(f'<p class="cal-closed">{texts["nothing_held"]}</p>')
        for child, cells in held:
            if cells:
                parts.append(f'<p class="cal-child">{_name(child)}</p><ul class="cal-cells">')
                parts.extend(_past_cell(cell, texts) for cell in cells)
                parts.append("</ul>")
    else:
        for child_day in day.children:
            if not child_day.cells:
                continue
            parts.append(f'<p class="cal-child">{_name(child_day.child)}</p><ul class="cal-cells">')
            parts.extend(_cell(cell, texts, day_text) for cell in child_day.cells)
            parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


@register.simple_tag
def calendar_day(day, today=None):
    """One day's section (the desk's calendar lays out its weeks itself)."""
    language = get_language()
    return mark_safe(_day(day, today or timezone.localdate(), _texts(language), language))  # noqa: S308  (escaped)


@register.simple_tag
def calendar_weeks(weeks, today=None):
    """The portal's weeks: a week gone by, where nothing can change any more, folded away in a <details>;
    the others as a fieldset of checkboxes with its own save button (the form works without JavaScript)."""
    language = get_language()
    texts, today = _texts(language), today or timezone.localdate()
    parts = []
    for week in weeks:
        days = "".join(_day(day, today, texts, language) for day in week.days)
        label = html.escape(week.label)
        if _week_is_past(week, today):
            monday = f"s{week.monday:%Y%m%d}"
            parts.append(
                f'  <section class="cal-week cal-week-past" aria-labelledby="{monday}">\n'
                f'    <h2 class="cal-week-title" id="{monday}">{label}</h2>\n'
                f'    <details><summary>{texts["past_week"]}</summary>\n'
                f'      <div class="cal-days">\n        {days}\n      </div>\n    </details>\n  </section>\n')
        else:
            parts.append(
                f'  <fieldset class="cal-week">\n    <legend><h2 class="cal-week-title">{label}</h2></legend>\n'
                f'    <div class="cal-days">\n      {days}\n    </div>\n'
                f'    <p class="actions cal-save"><button type="submit">{texts["save"]}</button></p>\n'
                f'  </fieldset>\n')
    return mark_safe("".join(parts))  # noqa: S308  (every value above is escaped)


def _week_is_past(week, today):
    return all(day.day < today and not _editable(day) for day in week.days)


_fixed = {}


@register.simple_tag
def once_per_language(template_name):
    """A template that takes no context (the calendar's legend: a dozen translated paragraphs), rendered once per
    process and language (at every page under DEBUG, where templates reload)."""
    key = (template_name, get_language())
    text = None if settings.DEBUG else _fixed.get(key)
    if text is None:
        text = _fixed[key] = render_to_string(template_name)
    return mark_safe(text)  # noqa: S308  (a template's output, escaped by the template engine)


@register.filter
def week_is_past(week, today=None):
    """Whether every day of the week is gone and nothing in it can change: the page folds it away."""
    return _week_is_past(week, today or timezone.localdate())


@register.filter(expects_localtime=True)
def day_date(value, arg=None):
    """Django's `date` filter, memoised for plain dates (a datetime goes to `date` each time: its text depends on
    the time zone too): the calendar page formats its month, the next and previous ones and the days of its notes
    at every page, and each format cost about as much as a cell."""
    if type(value) is datetime.date:
        return _date_text(value, arg, get_language())
    return date_filter(value, arg)


@lru_cache(maxsize=1024)
def _date_text(day, arg, _language):
    return date_filter(day, arg)


@register.filter
def pattern_unit(label):
    """"lundi – Matin (7 h 30 – 8 h 20)" -> "Matin (7 h 30 – 8 h 20)": the weekly grid names the day once per row."""
    return str(label).split(" – ", 1)[-1]
