"""The household's forms for activities: bookings in bulk, absences, registrations."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enfance.activities.models import Absence, Activity, Unit
from enfance.core.dates import FIRST_YEAR, LAST_YEAR, is_sane, school_year_start
from enfance.core.forms import DATE_WIDGET, choices_once

WEEKDAY_CHOICES = [(0, _("lundi")), (1, _("mardi")), (2, _("mercredi")), (3, _("jeudi")), (4, _("vendredi"))]
MAX_SPAN = datetime.timedelta(days=190)


def _sane(day):
    if not is_sane(day):
        raise ValidationError(_("Choisissez une date entre %(first)s et %(last)s.")
                              % {"first": FIRST_YEAR, "last": LAST_YEAR})


def _date_field(label, **kwargs):
    return forms.DateField(label=label, widget=DATE_WIDGET, validators=[_sane], error_messages={
        "required": _("Indiquez une date."), "invalid": _("Date invalide : choisissez-la dans le calendrier.")},
        **kwargs)


class PeriodMixin:
    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", _("Le dernier jour est avant le premier."))
            elif last - first > self.max_span:
                self.add_error("last_day", _("Choisissez une période de %(n)s jours au plus.")
                               % {"n": self.max_span.days})
        return data


class BulkBookingForm(PeriodMixin, forms.Form):
    """"Every Monday and Thursday of this period": one request of a line per child, unit and matching day."""

    max_span = MAX_SPAN
    action = forms.ChoiceField(label=_("Je veux"), widget=forms.RadioSelect, initial="book",
                               choices=[("book", _("réserver")), ("cancel", _("annuler"))])
    children = forms.ModelMultipleChoiceField(label=_("Pour"), queryset=None, widget=forms.CheckboxSelectMultiple,
                                              error_messages={"required": _("Choisissez au moins un enfant.")})
    unit = forms.ModelChoiceField(label=_("Prestation"), queryset=None, empty_label=_("Choisissez…"),
                                  error_messages={"required": _("Choisissez une prestation.")})
    weekdays = forms.TypedMultipleChoiceField(label=_("Les jours"), coerce=int, choices=WEEKDAY_CHOICES,
                                              widget=forms.CheckboxSelectMultiple,
                                              error_messages={"required": _("Choisissez au moins un jour.")})
    first_day = _date_field(_("Du"))
    last_day = _date_field(_("Au"))

    def __init__(self, *args, children, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = children
        self.fields["children"].label_from_instance = lambda c: c.first_name
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: f"{u.activity.name} – {u.name}"
        for name in ("children", "unit"):
            choices_once(self.fields[name])


class AbsenceForm(PeriodMixin, forms.Form):
    max_span = datetime.timedelta(days=61)
    child = forms.ModelChoiceField(label=_("Enfant"), queryset=None, empty_label=None)
    first_day = _date_field(_("Premier jour d'absence"))
    last_day = _date_field(_("Dernier jour d'absence"))
    reason = forms.ChoiceField(label=_("Motif"), choices=Absence.Reason.choices, widget=forms.RadioSelect,
                               error_messages={"required": _("Choisissez le motif.")})
    note = forms.CharField(label=_("Précision (facultatif)"), required=False, max_length=300)

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children
        self.fields["child"].label_from_instance = lambda c: c.first_name
        choices_once(self.fields["child"])


def school_year_bounds(today=None):
    start = school_year_start(today or timezone.localdate())
    return start, datetime.date(start.year + 1, 7, 6)


class RegistrationForm(PeriodMixin, forms.Form):
    """Children, a period and a weekly pattern (a checkbox per weekday and unit: `p-<weekday>-<unit id>`)."""

    max_span = datetime.timedelta(days=366)
    children = forms.ModelMultipleChoiceField(label=_("Enfants à inscrire"), queryset=None,
                                              widget=forms.CheckboxSelectMultiple,
                                              error_messages={"required": _("Choisissez au moins un enfant.")})
    first_day = _date_field(_("Du"))
    last_day = _date_field(_("Au"))

    def __init__(self, *args, activity, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.fields["children"].queryset = children
        self.fields["children"].label_from_instance = lambda c: c.first_name
        self.units = list(Unit.objects.filter(activity=activity).order_by("name"))
        weekdays = activity.weekdays or [0, 1, 2, 3, 4]
        self.pattern_fields = []
        for day, label in WEEKDAY_CHOICES:
            if day not in weekdays:
                continue
            for unit in self.units:
                name = f"p-{day}-{unit.pk}"
                self.fields[name] = forms.BooleanField(label=f"{label} – {unit.name}", required=False)
                self.pattern_fields.append(name)

    def pattern_rows(self):
        """[(weekday label, [bound fields])] for the template's table."""
        rows = {}
        for name in self.pattern_fields:
            day = int(name.split("-")[1])
            rows.setdefault(day, []).append(self[name])
        return [(dict(WEEKDAY_CHOICES)[day], fields) for day, fields in rows.items()]

    def clean_first_day(self):
        first = self.cleaned_data["first_day"]
        if first < timezone.localdate():
            raise ValidationError(_("Une inscription commence aujourd'hui au plus tôt."))
        return first

    def pattern(self):
        pattern = {}
        for name in self.pattern_fields:
            if self.cleaned_data.get(name):
                _p, day, unit = name.split("-")
                pattern.setdefault(day, []).append(int(unit))
        return pattern


class PatternChangeForm(RegistrationForm):
    """A new weekly pattern from a day (the registration's children and period stay)."""

    from_day = _date_field(_("À partir du"))

    def __init__(self, *args, registration, **kwargs):
        super().__init__(*args, activity=registration.activity, children=None, **kwargs)
        for name in ("children", "first_day", "last_day"):
            del self.fields[name]
        self.registration = registration

    def clean_from_day(self):
        day = self.cleaned_data["from_day"]
        if day < timezone.localdate():
            raise ValidationError(_("Choisissez aujourd'hui ou un jour à venir."))
        if day > self.registration.last_day:
            raise ValidationError(_("L'inscription finit avant ce jour."))
        return day

    def clean(self):
        return forms.Form.clean(self)


class EndForm(forms.Form):
    from_day = _date_field(_("L'inscription s'arrête à partir du"))

    def __init__(self, *args, registration, **kwargs):
        super().__init__(*args, **kwargs)
        self.registration = registration

    def clean_from_day(self):
        day = self.cleaned_data["from_day"]
        if day < timezone.localdate():
            raise ValidationError(_("Choisissez aujourd'hui ou un jour à venir."))
        if day <= self.registration.first_day:
            raise ValidationError(_("L'inscription ne peut pas finir avant d'avoir commencé."))
        if day > self.registration.last_day:
            raise ValidationError(_("L'inscription finit déjà avant ce jour."))
        return day


def registrable_activities():
    return Activity.objects.filter(is_active=True).order_by("name")
