"""The portal calendar's days, rendered in Python: a month for three children is hundreds of cells, and the
page is the one families open most on the day bookings open (see bench/)."""

from functools import lru_cache

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from enfance.activities.family_calendar import Status

register = template.Library()

HELD = (Status.BOOKED, Status.WAITING, Status.OFFERED, Status.ABSENT, Status.OTHER_HOUSEHOLD)


@lru_cache(maxsize=8)
def _labels(language):
    return {
        Status.BOOKED: _("Réservé"), Status.WAITING: _("Liste d'attente"), Status.OFFERED: _("Place à accepter"),
        Status.ABSENT: _("Absent(e)"), Status.OTHER_HOUSEHOLD: _("Réservé par l'autre foyer"),
        Status.OPEN: _("Non réservé"), Status.LOCKED: _("Non réservable"),
    }


def _cell(cell, labels, day_text):
    """One child, unit and day: a checkbox whose name says child, unit and day, its state and reason linked to it
    (aria-describedby); a cell that cannot change has a mark in the checkbox's place, so that the columns align."""
    state = labels[cell.status] + (" – " + _("complet") if cell.full else "")
    key = cell.key
    parts = [f'<li class="cal-cell cal-{cell.status}">']
    title = _title(cell.unit)
    if cell.editable:
        checked = " checked" if cell.checked else ""
        described = f"s{key} w{key}" if cell.reason else f"s{key}"
        parts.append(f'<input type="checkbox" name="b" value="{key}" id="c{key}" aria-describedby="{described}"'
                     f'{checked}>')
        if cell.checked:
            parts.append(f'<input type="hidden" name="was" value="{key}">')
        parts.append(f'<label for="c{key}">{title}<span class="visually-hidden"> – '
                     f'{_name(cell.child)}, {day_text}</span></label>')
    else:
        parts.append(f'<span class="cal-mark" aria-hidden="true"></span><span class="cal-title">{title}</span>')
    # An unticked box says "not booked" by itself: the words are for screen readers only.
    state_class = "cal-state visually-hidden" if cell.status == Status.OPEN and not cell.full else "cal-state"
    parts.append(f'<span class="cal-note"><span class="{state_class}" id="s{key}">{escape(state)}</span>')
    if cell.reason:
        parts.append(f' <span class="cal-why" id="w{key}">{escape(cell.reason)}</span>')
    parts.append("</span></li>")
    return "".join(parts)


def _title(unit):
    """The unit's name and its activity's, escaped once per unit (the calendar shares one Unit per page)."""
    title = getattr(unit, "_calendar_title", None)
    if title is None:
        title = unit._calendar_title = (f'<span class="cal-unit">{escape(unit.name)}</span> '
                                        f'<span class="cal-activity">{escape(unit.activity.name)}</span>')
    return title


def _name(child):
    name = getattr(child, "_calendar_name", None)
    if name is None:
        name = child._calendar_name = escape(child.first_name)
    return name


def _past_cell(cell, labels):
    """A day gone by: what was held, in one line (its deadlines no longer matter)."""
    reason = f' <span class="cal-why">{escape(cell.reason)}</span>' if cell.status == Status.OTHER_HOUSEHOLD else ""
    return (f'<li class="cal-cell cal-{cell.status}"><span class="cal-mark" aria-hidden="true"></span>'
            f'<span class="cal-title">{_title(cell.unit)}</span>'
            f'<span class="cal-note"><span class="cal-state">{escape(labels[cell.status])}</span>{reason}</span></li>')


def _editable(day):
    return any(cell.editable for child_day in day.children for cell in child_day.cells)


@register.simple_tag
def calendar_day(day, today=None):
    labels = _labels(get_language())
    today = today or timezone.localdate()
    day_text = escape(date_format(day.day, "l j F"))
    heading_id = f"j{day.day:%Y%m%d}"
    past = day.day < today and not _editable(day)
    classes = "cal-day" + (" cal-day-past" if past else "") + (" cal-day-today" if day.day == today else "")
    heading = day_text + (f' <span class="cal-today">{escape(_("aujourd’hui"))}</span>' if day.day == today else "")
    parts = [f'<section class="{classes}" aria-labelledby="{heading_id}"><h3 id="{heading_id}">{heading}</h3>']
    if day.closed:
        parts.append(f'<p class="cal-closed">{escape(_("Fermé : %(why)s") % {"why": day.closed})}</p>')
    elif not day.has_cells:
        parts.append(f'<p class="cal-closed">{escape(_("Aucune activité ce jour-là."))}</p>')
    elif past:
        held = [(child_day.child, [c for c in child_day.cells if c.status in HELD]) for child_day in day.children]
        if not any(cells for _child, cells in held):
            parts.append(f'<p class="cal-closed">{escape(_("Rien de réservé ce jour-là."))}</p>')
        for child, cells in held:
            if cells:
                parts.append(f'<p class="cal-child">{escape(child.first_name)}</p><ul class="cal-cells">')
                parts.extend(_past_cell(cell, labels) for cell in cells)
                parts.append("</ul>")
    else:
        for child_day in day.children:
            if not child_day.cells:
                continue
            parts.append(f'<p class="cal-child">{escape(child_day.child.first_name)}</p><ul class="cal-cells">')
            parts.extend(_cell(cell, labels, day_text) for cell in child_day.cells)
            parts.append("</ul>")
    parts.append("</section>")
    return mark_safe("".join(parts))  # noqa: S308  (every value above is escaped)


@register.filter
def week_is_past(week, today=None):
    """Whether every day of the week is gone and nothing in it can change: the page folds it away."""
    today = today or timezone.localdate()
    return all(day.day < today and not _editable(day) for day in week.days)


@register.filter
def pattern_unit(label):
    """"lundi – Matin (7 h 30 – 8 h 20)" -> "Matin (7 h 30 – 8 h 20)": the weekly grid names the day once per row."""
    return str(label).split(" – ", 1)[-1]
