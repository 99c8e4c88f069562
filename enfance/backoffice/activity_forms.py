"""Forms of the catalogue pages: activities and their deadlines, units, places, sites, groups, booking openings,
calendar periods, and a child registered by staff.

A deadline is never typed as JSON: RuleForm shows every kind of rule with its own fields (all of them, so that
the page works without JavaScript), uses the chosen kind's, builds the stored JSON and checks it with
deadlines.rule_from_json; its French errors go next to the field they are about.
"""

import datetime
import json

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from enfance.accounts.models import User
from enfance.activities.deadlines import WEEKDAYS, RuleError, rule_from_json, rule_to_json
from enfance.activities.models import (
    SCHOOL_LEVELS,
    Activity,
    BookingOpening,
    CalendarPeriod,
    Group,
    Place,
    Site,
    Unit,
)
from enfance.core import audit
from enfance.core.forms import DATE_INPUT_FORMATS, DATE_WIDGET
from enfance.core.models import AuditEntry
from enfance.families.models import Child, Family

WEEKDAY_CHOICES = [(str(i), name.capitalize()) for i, name in enumerate(WEEKDAYS)]
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M", "%Hh", "%H h %M", "%H h"]
MAX_AGE = 25
MAX_SCHOOLS = 30


def time_field(label, **extra):
    return forms.TimeField(label=label, required=False, input_formats=TIME_FORMATS,
                           widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), **extra)


class Audited:
    """A ModelForm that saves only the fields the person changed on the page (save(update_fields=...)): what
    another agent saved meanwhile in the others is kept. The values the page showed travel in a hidden field
    (`shown`); without it, the values read when the form is built stand in. The change goes to the audit trail,
    its values as people read them."""

    extra_fields = ()  # model fields the form sets itself (the deadlines)

    def remember(self):
        instance = self.instance
        fields = [instance._meta.get_field(n) for n in [*self._meta.fields, *self.extra_fields]]
        self.names = [f.name for f in fields if not f.many_to_many]
        self.m2m = [f.name for f in fields if f.many_to_many]
        current = self._stored(instance)
        self.fields["shown"] = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20_000)
        self.initial["shown"] = json.dumps(current)
        self.values_before = current
        posted = self.data.get(self.add_prefix("shown")) if self.is_bound else None
        try:
            shown = json.loads(posted) if posted else None
        except ValueError:
            shown = None
        if isinstance(shown, dict) and set(shown) == set(current) and all(
                isinstance(v, str | list) for v in shown.values()):
            self.values_before = shown
        self.shown_before = self.shown(instance) if instance.pk else {}

    def _stored(self, instance, m2m=None):
        """{field: its value as a string (its pks, sorted, for a many-to-many)}, to compare."""
        values = {n: _as_text(instance, n) for n in self.names}
        for name in self.m2m:
            items = m2m[name] if m2m is not None else (getattr(instance, name).all() if instance.pk else [])
            values[name] = sorted(str(item.pk) for item in items)
        return values

    def shown(self, instance, m2m=None):
        result = {}
        for name in self.names:
            field = instance._meta.get_field(name)
            value = getattr(instance, name)
            if name in RULE_FIELDS:
                result[name] = _described(value)
            elif field.is_relation:
                result[name] = str(value) if value is not None else ""
            elif isinstance(value, list):
                result[name] = ", ".join(WEEKDAYS[v] if name == "weekdays" else str(v) for v in value)
            else:
                result[name] = audit.display_value_of(field, value)
        for name in self.m2m:
            items = m2m[name] if m2m is not None else getattr(instance, name).all()
            result[name] = ", ".join(sorted(getattr(item, "name", None) or str(item) for item in items))
        return result

    def changed_fields(self):
        after = self._stored(self.instance, {n: self.cleaned_data.get(n, []) for n in self.m2m})
        return [n for n in [*self.names, *self.m2m] if after[n] != self.values_before[n]]

    @transaction.atomic
    def save_audited(self, actor, *, exclude=()):
        created = self.instance.pk is None
        obj = super().save(commit=False)
        changed = [n for n in self.changed_fields() if n not in exclude]
        if created:
            obj.save()
        elif changed:
            obj.save(update_fields=[n for n in changed if n in self.names])
        for name in self.m2m:
            if created or name in changed:
                getattr(obj, name).set(self.cleaned_data[name])
        after = self.shown(obj, {n: self.cleaned_data[n] for n in self.m2m})
        kept = set(after) if created else set(changed)
        labels = {n: str(obj._meta.get_field(n).verbose_name) for n in after}
        changes = {labels[k]: v for k, v in audit.diff({} if created else self.shown_before, after).items()
                   if k in kept}
        if created or changes:
            audit.record(actor=actor, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
                         obj=obj, changes=changes)
        return obj


RULE_FIELDS = ("booking_rule", "cancellation_rule", "late_rule")


def _as_text(instance, name):
    """A field's value as a string to compare: a deadline by its meaning (its keys in any order, the defaults
    written out), other JSON by its content."""
    value = instance._meta.get_field(name).value_to_string(instance)
    if name in RULE_FIELDS and value:
        try:
            value = rule_to_json(rule_from_json(value))
        except RuleError:
            pass
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _described(rule):
    if not rule:
        return ""
    try:
        return rule_from_json(rule).describe()
    except RuleError:
        return str(rule)


def _grouped(form, *names):
    """Fields shown as a group of boxes in a fieldset (the templates read `fieldset`)."""
    for name in names:
        form.fields[name].fieldset = True


class WeekdaysField(forms.TypedMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple, **kwargs)

    def clean(self, value):
        return sorted(set(super().clean(value)))


# --- deadlines -------------------------------------------------------------------------------------------

class RuleForm(forms.Form):
    """One deadline: its kind (a radio button) and the fields of every kind; the chosen kind's are used."""

    KINDS = [
        ("days_before", _("N jours avant, à une heure donnée")),
        ("hours_before", _("N heures avant le jour réservé")),
        ("weekday_before", _("Un jour de la semaine précédente, à une heure donnée")),
        ("per_weekday", _("Une table : un délai pour chaque jour réservé")),
        ("day_of_previous_month", _("Le jour J du mois précédent, à une heure donnée")),
    ]
    FIELDS = {
        "days_before": ["days", "days_at", "open_days"],
        "hours_before": ["hours"],
        "weekday_before": ["weekday", "weekday_at"],
        "per_weekday": [f"table_{d}_{part}" for d in range(7) for part in ("weekday", "at")],
        "day_of_previous_month": ["month_day", "month_at"],
    }
    NONE = "none"

    kind = forms.ChoiceField(label=_("Type de délai"), widget=forms.RadioSelect)
    days = forms.IntegerField(label=_("Nombre de jours avant"), required=False, min_value=0, max_value=60,
                              help_text=_("0 : le jour même ; 1 : la veille."))
    days_at = time_field(_("Heure limite"))
    open_days = forms.BooleanField(label=_("Compter en jours ouvrés (sans les week-ends, jours fériés et "
                                           "fermetures)"), required=False)
    hours = forms.IntegerField(label=_("Nombre d'heures avant le début du jour réservé"), required=False,
                               min_value=1, max_value=24 * 60)
    weekday = forms.TypedChoiceField(label=_("Jour de la semaine précédente"), required=False, coerce=int,
                                     empty_value=None, choices=[("", "—"), *WEEKDAY_CHOICES])
    weekday_at = time_field(_("Heure limite ce jour-là"))
    month_day = forms.IntegerField(label=_("Jour du mois précédent"), required=False, min_value=1, max_value=31,
                                   help_text=_("Un 31 devient le dernier jour des mois plus courts."))
    month_at = time_field(_("Heure limite du jour du mois"))

    def __init__(self, data=None, *, prefix, legend, rule=None, optional=False, help_text="", weekdays=None):
        super().__init__(data, prefix=prefix)
        # The table shows the weekdays the activity runs on (Monday to Friday at least) and those the rule names.
        named = {row.get("booked") for row in (rule or {}).get("table", []) if isinstance(row, dict)} \
            if isinstance(rule, dict) and isinstance(rule.get("table"), list) else set()
        self.table_days = sorted({0, 1, 2, 3, 4} | {d for d in (weekdays or []) if d in range(7)}
                                 | {d for d in named if d in range(7)})
        self.legend, self.optional, self.help_text = legend, optional, help_text
        kinds = ([(self.NONE, _("Pas de réservation tardive"))] if optional else []) + self.KINDS
        self.fields["kind"].choices = kinds
        for booked in range(7):
            self.fields[f"table_{booked}_weekday"] = forms.TypedChoiceField(
                label=_("Jour du délai pour le %(day)s") % {"day": WEEKDAYS[booked]}, required=False, coerce=int,
                empty_value=None, choices=[("", _("pas de délai")), *WEEKDAY_CHOICES])
            self.fields[f"table_{booked}_at"] = time_field(
                _("Heure limite pour le %(day)s") % {"day": WEEKDAYS[booked]})
        self.current = None
        self.initial = self._initial(rule)
        self.rule_json, self.description = None, ""

    def _initial(self, rule):
        """The fields' values for a stored rule (a new one: the day before at 18:00)."""
        try:
            parsed = rule_from_json(rule) if rule else None
        except RuleError:
            parsed = None
        if parsed is None:
            return {"kind": self.NONE if self.optional else "days_before", "days": 1,
                    "days_at": datetime.time(18, 0)}
        self.current = parsed.describe()
        kind = rule["kind"]
        initial = {"kind": kind}
        if kind == "days_before":
            initial |= {"days": parsed.days, "days_at": parsed.at, "open_days": parsed.open_days}
        elif kind == "hours_before":
            initial |= {"hours": parsed.hours}
        elif kind == "weekday_before":
            initial |= {"weekday": str(parsed.weekday), "weekday_at": parsed.at}
        elif kind == "per_weekday":
            for booked, weekday, at in parsed.table:
                initial |= {f"table_{booked}_weekday": str(weekday), f"table_{booked}_at": at}
        elif kind == "day_of_previous_month":
            initial |= {"month_day": parsed.day, "month_at": parsed.at}
        return initial

    def kinds(self):
        """[(radio, [bound fields of that kind])], for the template."""
        return [(radio, [self[name] for name in self.FIELDS.get(radio.data["value"], [])
                         if not name.startswith("table_")], radio.data["value"] == "per_weekday")
                for radio in self["kind"]]

    def table_rows(self):
        return [(WEEKDAYS[d], self[f"table_{d}_weekday"], self[f"table_{d}_at"]) for d in self.table_days]

    def _need(self, data, name, message):
        if data.get(name) is None and name not in self.errors:
            self.add_error(name, message)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind or kind == self.NONE:
            return data
        need_time = _("Indiquez l'heure limite (HH:MM).")
        if kind == "days_before":
            self._need(data, "days", _("Indiquez le nombre de jours."))
            self._need(data, "days_at", need_time)
            first = "days"
        elif kind == "hours_before":
            self._need(data, "hours", _("Indiquez le nombre d'heures."))
            first = "hours"
        elif kind == "weekday_before":
            self._need(data, "weekday", _("Choisissez le jour de la semaine."))
            self._need(data, "weekday_at", need_time)
            first = "weekday"
        elif kind == "per_weekday":
            rows = 0
            for d in range(7):
                weekday, at = data.get(f"table_{d}_weekday"), data.get(f"table_{d}_at")
                if weekday is not None:
                    rows += 1
                    self._need(data, f"table_{d}_at", need_time)
                elif at is not None and f"table_{d}_weekday" not in self.errors:
                    self.add_error(f"table_{d}_weekday", _("Choisissez le jour du délai, ou effacez l'heure."))
            if not rows and not any(f"table_{d}_weekday" in self.errors for d in range(7)):
                self.add_error("table_0_weekday", _("Indiquez le délai d'au moins un jour réservé."))
            first = "table_0_weekday"
        else:
            self._need(data, "month_day", _("Indiquez le jour du mois."))
            self._need(data, "month_at", need_time)
            first = "month_day"
        if any(name in self.errors for name in self.FIELDS[kind]):
            return data
        rule = self._json(kind, data)
        try:
            self.description = rule_from_json(rule).describe()
        except RuleError as exc:
            self.add_error(first, str(exc))
        else:
            self.rule_json = rule
        return data

    @staticmethod
    def _json(kind, data):
        def hhmm(name):
            return data[name].strftime("%H:%M")

        if kind == "days_before":
            return {"kind": kind, "days": data["days"], "at": hhmm("days_at"), "open_days": bool(data["open_days"])}
        if kind == "hours_before":
            return {"kind": kind, "hours": data["hours"]}
        if kind == "weekday_before":
            return {"kind": kind, "weekday": data["weekday"], "at": hhmm("weekday_at")}
        if kind == "per_weekday":
            return {"kind": kind, "table": [{"booked": d, "weekday": data[f"table_{d}_weekday"],
                                             "at": hhmm(f"table_{d}_at")}
                                            for d in range(7) if data.get(f"table_{d}_weekday") is not None]}
        return {"kind": kind, "day": data["month_day"], "at": hhmm("month_at")}


# --- activities ------------------------------------------------------------------------------------------

class LeaderChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class ActivityForm(Audited, forms.ModelForm):
    extra_fields = RULE_FIELDS
    weekdays = WeekdaysField(label=_("Jours de la semaine"))
    schools = forms.MultipleChoiceField(label=_("Écoles desservies"), required=False,
                                        widget=forms.CheckboxSelectMultiple,
                                        help_text=_("Aucune cochée : toutes les écoles."))
    other_schools = forms.CharField(label=_("Autres écoles, une par ligne"), required=False, max_length=4000,
                                    widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text=_("Écrites comme dans les dossiers des enfants."))
    school_levels = forms.MultipleChoiceField(label=_("Niveaux scolaires admis"), required=False,
                                              choices=[(level, level) for level in SCHOOL_LEVELS],
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text=_("Aucun coché : tous les niveaux."))
    leaders = LeaderChoiceField(label=_("Animateurs"), required=False, widget=forms.CheckboxSelectMultiple,
                                queryset=User.objects.none(),
                                help_text=_("Ils voient les foyers de l'activité et la feuille de présence."))

    class Meta:
        model = Activity
        fields = ["name", "kind", "runs", "weekdays", "schools", "school_levels", "min_age", "max_age",
                  "needs_registration", "certificate_days", "waiting_days", "acceptance_hours", "late_surcharge",
                  "leaders", "is_active"]
        widgets = {"kind": forms.RadioSelect, "runs": forms.RadioSelect}
        help_texts = {
            "needs_registration": _("Seuls les enfants inscrits pour la période peuvent réserver."),
            "acceptance_hours": _("Une place attribuée après le délai d'annulation doit être acceptée dans ce "
                                  "délai, sinon elle passe à l'enfant suivant."),
            "waiting_days": _("Jours d'absence facturés malgré le certificat médical."),
            "late_surcharge": _("Ajoutée à chaque réservation prise dans la fenêtre tardive."),
        }

    def __init__(self, data=None, *, instance=None):
        super().__init__(data, instance=instance)
        self.creating = self.instance.pk is None
        self.stored_rules = {name: getattr(self.instance, name, None) for name in RULE_FIELDS}
        self.remember()
        self.fields["leaders"].queryset = User.objects.filter(role=User.Role.LEADER, is_active=True).order_by(
            "last_name", "first_name", "username")
        known = sorted({s for s in Child.objects.exclude(school="").values_list("school", flat=True).distinct()}
                       | set(self.instance.schools or []))
        self.fields["schools"].choices = [(s, s) for s in known]
        self.fields["weekdays"].initial = [str(d) for d in (self.instance.weekdays or [0, 1, 2, 3, 4])]
        self.initial["weekdays"] = self.fields["weekdays"].initial
        for name, high in (("min_age", MAX_AGE), ("max_age", MAX_AGE), ("certificate_days", 60),
                           ("waiting_days", 30), ("acceptance_hours", 24 * 14)):
            self.fields[name].validators.append(MaxValueValidator(high))
        self.fields["late_surcharge"].validators.append(MinValueValidator(0))
        _grouped(self, "kind", "runs", "weekdays", "schools", "school_levels", "leaders")
        self.fields["kind"].choices = Activity.Kind.choices
        self.fields["runs"].choices = Activity.Runs.choices
        days = self.instance.weekdays if isinstance(self.instance.weekdays, list) else []
        self.rules = {
            "booking_rule": RuleForm(data, prefix="booking_rule", legend=_("Délai de réservation"), weekdays=days,
                                     rule=self.instance.booking_rule if not self.creating else None),
            "cancellation_rule": RuleForm(data, prefix="cancellation_rule", legend=_("Délai d'annulation"), weekdays=days,
                                          rule=self.instance.cancellation_rule if not self.creating else None,
                                          help_text=_("Après lui, une absence est facturée sauf justificatif.")),
            "late_rule": RuleForm(data, prefix="late_rule", legend=_("Délai des réservations tardives"), optional=True,
                                  weekdays=days,
                                  rule=self.instance.late_rule,
                                  help_text=_("Après le délai de réservation, les réservations restent possibles "
                                              "jusqu'à ce délai-ci, avec la majoration ci-dessous.")),
        }

    def sections(self):
        """[(title, bound fields, deadline forms)]: the cards of the page."""
        rules = self.rules

        def fields(*names):
            return [self[name] for name in names]

        return [
            (_("L'activité"), fields("name", "kind", "is_active", "leaders"), []),
            (_("Quand elle fonctionne"), fields("runs", "weekdays"), []),
            (_("Qui peut y venir"), fields("schools", "other_schools", "school_levels", "min_age", "max_age",
                                           "needs_registration"), []),
            (_("Délais de réservation et d'annulation"), [], [rules["booking_rule"], rules["cancellation_rule"]]),
            (_("Réservations tardives"), fields("late_surcharge"), [rules["late_rule"]]),
            (_("Absences et liste d'attente"), fields("certificate_days", "waiting_days", "acceptance_hours"), []),
        ]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Activity.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Une autre activité porte déjà ce nom."))
        return name

    def clean(self):
        data = super().clean()
        extra = [line.strip() for line in (data.get("other_schools") or "").splitlines() if line.strip()]
        if any(len(line) > 120 for line in extra):
            self.add_error("other_schools", _("Un nom d'école compte 120 caractères au plus."))
        schools = list(dict.fromkeys([*data.get("schools", []), *extra]))
        if len(schools) > MAX_SCHOOLS:
            self.add_error("other_schools", _("%(n)s écoles au plus.") % {"n": MAX_SCHOOLS})
        data["schools"] = schools
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", _("L'âge maximum est inférieur à l'âge minimum."))
        for name, rule in self.rules.items():
            if rule.is_valid():
                setattr(self.instance, name, rule.rule_json)
            else:
                # Activity.clean checks the rule it holds: keep a valid one there until the form is right.
                setattr(self.instance, name, getattr(self, "stored_rules", {}).get(name)
                        or {"kind": "hours_before", "hours": 1})
                self.add_error(None, _("%(rule)s : vérifiez les champs signalés.") % {"rule": rule.legend})
        if data.get("late_surcharge") is not None and self.rules["late_rule"].is_valid() \
                and self.rules["late_rule"].rule_json is None:
            self.add_error("late_surcharge", _("Choisissez d'abord un délai de réservation tardive, ou effacez "
                                               "la majoration."))
        return data


# --- units, places, sites, groups, openings, periods --------------------------------------------------

class PlaceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, place):
        site = f"{place.site.name}, " if place.site_id else ""
        return f"{place.name} ({site}{place.get_slot_display()}, {place.capacity} places)"


class UnitForm(Audited, forms.ModelForm):
    places = PlaceChoiceField(label=_("Lieux occupés"), queryset=Place.objects.none(),
                              widget=forms.CheckboxSelectMultiple,
                              help_text=_("Une journée occupe les lieux du matin, du midi et de l'après-midi."))

    class Meta:
        model = Unit
        fields = ["name", "places", "excludes", "requires"]
        widgets = {"excludes": forms.CheckboxSelectMultiple}
        help_texts = {"excludes": _("Un enfant ne peut pas avoir les deux le même jour (la journée et la matinée)."),
                      "requires": _("Réservable seulement si l'enfant a déjà cette prestation le même jour "
                                    "(le repas après la matinée).")}

    def __init__(self, data=None, *, instance, activity):
        super().__init__(data, instance=instance)
        self.remember()
        self.activity = activity
        self.instance.activity = activity
        self.fields["places"].queryset = Place.objects.select_related("site").order_by("name")
        others = Unit.objects.filter(activity=activity).exclude(pk=self.instance.pk).order_by("name")
        self.fields["excludes"].queryset = others
        self.fields["excludes"].label_from_instance = lambda unit: unit.name
        self.fields["requires"].queryset = others
        self.fields["requires"].label_from_instance = lambda unit: unit.name
        self.fields["requires"].empty_label = _("Aucune")
        _grouped(self, "places", "excludes")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Unit.objects.filter(activity=self.activity, name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Cette activité a déjà une prestation de ce nom."))
        return name

    def clean(self):
        data = super().clean()
        requires = data.get("requires")
        if requires is not None:
            if requires in data.get("excludes", []):
                self.add_error("requires", _("Une prestation ne peut pas nécessiter une prestation avec laquelle "
                                             "elle est incompatible."))
            elif self.instance.pk and requires.requires_id == self.instance.pk:
                self.add_error("requires", _("Cette prestation nécessite déjà celle-ci : l'une ou l'autre, pas "
                                             "les deux."))
        return data

    def _post_clean(self):
        # Unit.clean reads the exclusions saved, not those ticked here (clean() above checks those).
        requires = self.cleaned_data.get("requires")
        self.cleaned_data["requires"] = None
        super()._post_clean()
        self.cleaned_data["requires"] = requires
        self.instance.requires = requires


class PlaceForm(Audited, forms.ModelForm):
    class Meta:
        model = Place
        fields = ["name", "site", "slot", "capacity"]
        help_texts = {"capacity": _("Partagées par toutes les prestations qui occupent ce lieu. En hausse : les "
                                    "enfants en liste d'attente des jours à venir reçoivent les places libérées.")}

    def __init__(self, data=None, *, instance):
        super().__init__(data, instance=instance)
        self.remember()
        self.fields["capacity"].validators.append(MaxValueValidator(10_000))
        self.fields["site"].empty_label = _("Aucun")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Place.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Un autre lieu porte déjà ce nom."))
        return name

    def _post_clean(self):
        # The capacity is saved by capacity.set_capacity (it may promote, or refuse), not with the other fields.
        self.capacity = self.cleaned_data.get("capacity")
        super()._post_clean()


class SiteForm(Audited, forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name"]

    def __init__(self, data=None, *, instance):
        super().__init__(data, instance=instance)
        self.remember()

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Site.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Un autre site porte déjà ce nom."))
        return name


class GroupForm(Audited, forms.ModelForm):
    school_levels = forms.MultipleChoiceField(label=_("Niveaux scolaires"), required=False,
                                              choices=[(level, level) for level in SCHOOL_LEVELS],
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text=_("Aucun coché : tous les niveaux."))

    class Meta:
        model = Group
        fields = ["name", "min_age", "max_age", "school_levels"]

    def __init__(self, data=None, *, instance, activity):
        super().__init__(data, instance=instance)
        self.remember()
        self.activity = activity
        self.instance.activity = activity
        for name in ("min_age", "max_age"):
            self.fields[name].validators.append(MaxValueValidator(MAX_AGE))
        _grouped(self, "school_levels")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Group.objects.filter(activity=self.activity, name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Cette activité a déjà un groupe de ce nom."))
        return name

    def clean(self):
        data = super().clean()
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", _("L'âge maximum est inférieur à l'âge minimum."))
        return data


class _Days(Audited, forms.ModelForm):
    """first_day, last_day in order, a year at most."""

    MAX_SPAN = datetime.timedelta(days=366)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", _("Le dernier jour est avant le premier."))
            elif last - first > self.MAX_SPAN:
                self.add_error("last_day", _("Une période couvre un an au plus."))
        return data


def _date_fields(form):
    for name in ("first_day", "last_day"):
        form.fields[name].widget = DATE_WIDGET
        form.fields[name].input_formats = DATE_INPUT_FORMATS


class OpeningForm(_Days):
    class Meta:
        model = BookingOpening
        fields = ["first_day", "last_day", "opens_at"]
        labels = {"first_day": _("Premier jour concerné"), "last_day": _("Dernier jour concerné")}
        help_texts = {"opens_at": _("Avant ce moment, les familles ne peuvent pas réserver ces jours.")}

    def __init__(self, data=None, *, instance, activity):
        super().__init__(data, instance=instance)
        self.remember()
        self.instance.activity = activity
        _date_fields(self)
        field = self.fields["opens_at"]
        field.widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class PeriodForm(_Days):
    class Meta:
        model = CalendarPeriod
        fields = ["kind", "label", "activity", "first_day", "last_day"]
        widgets = {"kind": forms.RadioSelect}
        labels = {"activity": _("Activité fermée")}
        help_texts = {"activity": _("Pour une fermeture : toutes les activités, ou une seule (une journée de "
                                    "formation du centre de loisirs)."),
                      "label": _("Par exemple : grève, pont de l'Ascension, vacances d'hiver.")}

    def __init__(self, data=None, *, instance):
        super().__init__(data, instance=instance)
        self.remember()
        _date_fields(self)
        self.fields["activity"].empty_label = _("Toutes les activités")
        self.fields["activity"].queryset = Activity.objects.order_by("name")
        _grouped(self, "kind")

    def clean(self):
        data = super().clean()
        if data.get("kind") == CalendarPeriod.Kind.SCHOOL_HOLIDAYS:
            if data.get("activity") is not None:
                self.add_error("activity", _("Les vacances scolaires valent pour toutes les activités."))
            first = data.get("first_day")
            if first and CalendarPeriod.objects.filter(kind=CalendarPeriod.Kind.SCHOOL_HOLIDAYS, first_day=first) \
                    .exclude(pk=self.instance.pk).exists():
                self.add_error("first_day", _("Une période de vacances commence déjà ce jour-là."))
        return data


# --- staff registering a child ------------------------------------------------------------------------

class RegisterForm(forms.Form):
    """A household's child registered by staff: its reference, the child, the period, the weekly pattern."""

    reference = forms.CharField(label=_("Numéro de dossier du foyer"), max_length=20)
    child = forms.TypedChoiceField(label=_("Enfant"), coerce=int, required=False, choices=[], empty_value=None)
    first_day = forms.DateField(label=_("Du"), widget=DATE_WIDGET, input_formats=DATE_INPUT_FORMATS)
    last_day = forms.DateField(label=_("Au"), widget=DATE_WIDGET, input_formats=DATE_INPUT_FORMATS)

    def __init__(self, data=None, *, activity, units, reference="", initial=None):
        super().__init__(data, initial=initial, prefix="inscription")
        self.activity, self.units = activity, list(units)
        self.weekdays = activity.weekdays or [0, 1, 2, 3, 4]
        self.weekday_names = [WEEKDAYS[d] for d in self.weekdays]
        for day in self.weekdays:
            self.fields[f"pattern_{day}"] = forms.TypedMultipleChoiceField(
                label=WEEKDAYS[day], required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
                choices=[(u.pk, u.name) for u in self.units])
        typed = self.data.get(self.add_prefix("reference"), reference) if self.is_bound else reference
        self.family = self._family(typed)
        if self.family is not None:
            self.initial.setdefault("reference", self.family.reference)
            self.fields["child"].choices = [("", "—")] + [
                (c.pk, f"{c.first_name} {c.last_name}") for c in self.family.children.order_by("first_name")]

    @staticmethod
    def _family(reference):
        reference = (reference or "").strip()
        if not reference or len(reference) > 20:
            return None
        return Family.objects.filter(reference__iexact=reference, archived_at__isnull=True).first()

    def matrix(self):
        """[(unit, [(weekday name, input name, value, checked, id)])] for the weekday × unit boxes."""
        rows = []
        for unit in self.units:
            cells = []
            for day in self.weekdays:
                name = self.add_prefix(f"pattern_{day}")
                chosen = (self.data.getlist(name) if self.is_bound else [])
                cells.append((WEEKDAYS[day], name, unit.pk, str(unit.pk) in chosen, f"id_{name}_{unit.pk}"))
            rows.append((unit, cells))
        return rows

    def pattern_errors(self):
        return [e for day in self.weekdays for e in self.errors.get(f"pattern_{day}", [])]

    def clean_reference(self):
        if self.family is None:
            raise ValidationError(_("Aucun foyer actif ne porte ce numéro de dossier."))
        return self.family.reference

    def clean(self):
        data = super().clean()
        if self.family is not None:
            if not self.fields["child"].choices:
                self.add_error("reference", _("Ce foyer n'a aucun enfant."))
            elif data.get("child") is None and "child" not in self.errors:
                self.add_error("child", _("Choisissez l'enfant."))
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("La fin de l'inscription est avant son début."))
        return data

    def pattern(self):
        return {str(day): self.cleaned_data[f"pattern_{day}"] for day in self.weekdays
                if self.cleaned_data.get(f"pattern_{day}")}

    def chosen_child(self):
        return self.family.children.get(pk=self.cleaned_data["child"])


class EndRegistrationForm(forms.Form):
    from_day = forms.DateField(label=_("Plus de réservations à partir du"), widget=DATE_WIDGET,
                               input_formats=DATE_INPUT_FORMATS,
                               help_text=_("L'inscription finit la veille ; les jours déjà passés leur délai "
                                           "d'annulation restent réservés."))


class FillHolidaysForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, widget=forms.HiddenInput)
