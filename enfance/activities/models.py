"""The commune's activities (canteen, before and after-school care, leisure centres) and their calendar.

This first part holds the opening calendar: the school holidays of the commune's zone, kept as data that
staff can edit, and the closures (a strike, a bridge day). Public holidays come from the `holidays`
package (calendar.py), never stored.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class CalendarPeriod(models.Model):
    """Days, first to last included, on which the commune's activities follow a calendar of their own."""

    class Kind(models.TextChoices):
        SCHOOL_HOLIDAYS = "school_holidays", _("Vacances scolaires")
        CLOSURE = "closure", _("Fermeture")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("libellé"), max_length=120)
    # A closure of one activity only (the leisure centre shut for a training day); none: every activity.
    activity = models.ForeignKey("Activity", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="closures", verbose_name=_("activité"))
    first_day = models.DateField(_("premier jour"))
    last_day = models.DateField(_("dernier jour"))

    class Meta:
        ordering = ["first_day", "kind"]
        verbose_name = _("période du calendrier")
        verbose_name_plural = _("périodes du calendrier")
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="calendar_period_in_order"),
            # Filling the zone's holidays twice adds nothing.
            models.UniqueConstraint(fields=["first_day"], condition=Q(kind="school_holidays"),
                                    name="one_school_holidays_period_per_first_day"),
        ]
        indexes = [models.Index(fields=["last_day", "first_day"], name="calendar_period_days")]

    def __str__(self):
        return f"{self.label} ({self.first_day:%d/%m/%Y} – {self.last_day:%d/%m/%Y})"


class Activity(models.Model):
    """A service the commune runs (the canteen, morning or evening care, the leisure centre), with its rules."""

    class Kind(models.TextChoices):
        CANTEEN = "canteen", _("Restauration scolaire")
        CARE = "care", _("Accueil périscolaire")
        LEISURE = "leisure", _("Accueil de loisirs")

    name = models.CharField(_("nom"), max_length=120, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    # deadlines.rule_from_json reads them; Activity.clean refuses one that cannot be.
    booking_rule = models.JSONField(_("délai de réservation"))
    cancellation_rule = models.JSONField(_("délai d'annulation"))
    # Absences declared after the cancellation deadline are billed, unless a medical certificate comes within
    # certificate_days of the illness's first day; its first waiting_days are billed anyway ("jours de carence").
    certificate_days = models.PositiveSmallIntegerField(_("délai d'envoi du certificat médical (jours)"), default=3)
    waiting_days = models.PositiveSmallIntegerField(_("jours de carence"), default=0)
    class Runs(models.TextChoices):
        SCHOOL_DAYS = "school_days", _("Les jours d'école")
        HOLIDAYS = "holidays", _("Les vacances scolaires")
        ALL = "all", _("Les jours d'école et les vacances")

    # When it runs: which days (school days, holidays or both) and which weekdays (0 Monday ... 4 Friday).
    runs = models.CharField(_("fonctionne"), max_length=20, choices=Runs.choices, default=Runs.SCHOOL_DAYS)
    weekdays = models.JSONField(_("jours de la semaine"), default=list, blank=True)  # empty: Monday to Friday
    # Booked only by a child registered to the activity for that day (Registration).
    needs_registration = models.BooleanField(_("inscription nécessaire avant de réserver"), default=False)
    min_age = models.PositiveSmallIntegerField(_("âge minimum (ans révolus le jour même)"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("âge maximum (ans révolus le jour même)"), null=True, blank=True)
    # Schools whose pupils it receives (Child.school, as the records write it); empty: every school.
    schools = models.JSONField(_("écoles desservies"), default=list, blank=True)
    # School levels admitted (SCHOOL_LEVELS); empty: every level.
    school_levels = models.JSONField(_("niveaux scolaires admis"), default=list, blank=True)
    # A late window after the booking deadline: bookings still taken until late_rule's deadline, with a
    # surcharge the day shows; none: no late booking by households.
    late_rule = models.JSONField(_("délai des réservations tardives"), null=True, blank=True)
    late_surcharge = models.DecimalField(_("majoration d'une réservation tardive (€)"), max_digits=7,
                                         decimal_places=2, null=True, blank=True)
    # A place given from the waiting list after the cancellation deadline must be accepted within these hours
    # (and before the day begins), or it goes to the next child waiting.
    acceptance_hours = models.PositiveSmallIntegerField(_("délai pour accepter une place proposée (heures)"),
                                                        default=24)
    leaders = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="led_activities",
                                     verbose_name=_("animateurs"), limit_choices_to={"role": "leader"})
    is_active = models.BooleanField(_("proposée aux familles"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("activité")

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from .deadlines import RuleError, rule_from_json

        errors = {}
        for name in ("booking_rule", "cancellation_rule"):
            try:
                rule_from_json(getattr(self, name))
            except RuleError as exc:
                errors[name] = str(exc)
        days = self.weekdays
        if not isinstance(days, list) or len(set(map(repr, days))) != len(days) or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
            errors["weekdays"] = _("Indiquez les jours de la semaine de 0 (lundi) à 6 (dimanche), une fois chacun.")
        if errors:
            raise ValidationError(errors)


SCHOOL_LEVELS = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]


def school_level(school_class):
    """The level of a child's class as families write it ("CM1 B", "ce2", "Grande section"), or ""."""
    text = (school_class or "").strip().upper()
    words = {"PETITE SECTION": "PS", "MOYENNE SECTION": "MS", "GRANDE SECTION": "GS"}
    for name, level in words.items():
        if text.startswith(name):
            return level
    first = text.replace("-", " ").split(" ")[0] if text else ""
    return first if first in SCHOOL_LEVELS else ""


class Group(models.Model):
    """Children of an activity received together (the 3-5 year olds, the CP-CE1), for the attendance sheet."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("nom"), max_length=120)
    min_age = models.PositiveSmallIntegerField(_("âge minimum"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("âge maximum"), null=True, blank=True)
    school_levels = models.JSONField(_("niveaux scolaires"), default=list, blank=True)

    class Meta:
        ordering = ["activity__name", "name"]
        verbose_name = _("groupe")
        constraints = [models.UniqueConstraint(fields=["activity", "name"], name="one_group_name_per_activity")]

    def __str__(self):
        return f"{self.activity} – {self.name}"

    def admits(self, child, day):
        """Whether the child belongs to this group on `day` (age in whole years, school level)."""
        from .bookings import age_on

        age = age_on(child.birth_date, day)
        if self.min_age is not None and age < self.min_age:
            return False
        if self.max_age is not None and age > self.max_age:
            return False
        return not self.school_levels or school_level(child.school_class) in self.school_levels


class Site(models.Model):
    """Where children are received and, for the kitchen, fed: a school, the leisure centre."""

    name = models.CharField(_("nom"), max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")

    def __str__(self):
        return self.name


class BookingOpening(models.Model):
    """Days of an activity whose bookings open at a given moment ("the holiday session opens on 1 March at
    8:00"); days covered by none are open to booking as soon as the activity runs."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="openings")
    first_day = models.DateField(_("du"))
    last_day = models.DateField(_("au"))
    opens_at = models.DateTimeField(_("ouverture des réservations"))

    class Meta:
        ordering = ["first_day"]
        verbose_name = _("ouverture des réservations")
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="booking_opening_in_order"),
        ]

    def __str__(self):
        return f"{self.activity} {self.first_day:%d/%m/%Y}–{self.last_day:%d/%m/%Y}"


class Place(models.Model):
    """Room for so many children a day in a time slot ("Réfectoire des Pins, midi": 120). The units of every
    activity that use it share it: 40 whole days and 20 half days never fill a room of 40."""

    class Slot(models.TextChoices):
        MORNING = "morning", _("matin")
        LUNCH = "lunch", _("midi")
        AFTERNOON = "afternoon", _("après-midi")
        EVENING = "evening", _("soir")

    name = models.CharField(_("nom"), max_length=120, unique=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="places",
                             verbose_name=_("site"))
    slot = models.CharField(_("moment"), max_length=20, choices=Slot.choices)
    capacity = models.PositiveIntegerField(_("places par jour"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("lieu d'accueil")
        verbose_name_plural = _("lieux d'accueil")

    def __str__(self):
        return self.name


class Unit(models.Model):
    """What a family books for a child and a day: a canteen meal, morning care, a whole or half day."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("nom"), max_length=120)
    places = models.ManyToManyField(Place, related_name="units", verbose_name=_("lieux occupés"))
    excludes = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("incompatible avec"))
    requires = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("nécessite"))

    class Meta:
        ordering = ["activity__name", "name"]
        verbose_name = _("prestation")
        constraints = [models.UniqueConstraint(fields=["activity", "name"], name="one_unit_name_per_activity")]

    def __str__(self):
        return f"{self.activity} – {self.name}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.requires_id and self.requires_id == self.pk:
            raise ValidationError({"requires": _("Une prestation ne peut pas se nécessiter elle-même.")})
        if self.pk and self.requires_id and self.excludes.filter(pk=self.requires_id).exists():
            raise ValidationError({"requires": _("Une prestation ne peut pas nécessiter une prestation avec "
                                                 "laquelle elle est incompatible.")})


class PlaceDay(models.Model):
    """A place on a day: the row every booking of its units locks, and the number booked."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="days")
    day = models.DateField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["place", "day"], name="one_row_per_place_and_day")]

    def __str__(self):
        return f"{self.place} {self.day:%d/%m/%Y}: {self.booked}"


class Booking(models.Model):
    """A child booked (or waiting) for a unit on a day, by the household that will be billed for it."""

    class State(models.TextChoices):
        BOOKED = "booked", _("Réservé")
        WAITING = "waiting", _("Liste d'attente")
        CANCELLED = "cancelled", _("Annulé")

    # PROTECT: a booking is what a household is billed for; households are archived, not deleted.
    child = models.ForeignKey("families.Child", on_delete=models.PROTECT, related_name="bookings")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="bookings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="bookings")
    day = models.DateField(_("jour"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices)
    # 1, 2, 3... in the order the server took the places' lock; none once off the list.
    waiting_position = models.PositiveIntegerField(_("rang sur la liste d'attente"), null=True, blank=True)
    # A place given from the waiting list after the cancellation deadline: the household must accept it
    # (accepted_at), and may decline it whatever the deadline; nothing is billed before it is accepted.
    needs_acceptance = models.BooleanField(default=False)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Until when the household may accept it: past it, the place goes to the next child waiting.
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # Promoted from a waiting list, its household not told yet: told after the promotion's commit (never while
    # the day's places are locked), or by the sweep when that was lost (notices.tell_promoted).
    notice_pending = models.BooleanField(default=False)
    # Booked in the late window after the deadline: billed with the activity's surcharge.
    late = models.BooleanField(_("réservation tardive"), default=False)
    # The places it took on its day (the unit's places may change afterwards): cancelling gives back these.
    taken = models.ManyToManyField(PlaceDay, blank=True, related_name="+")
    # Booked by a registration's weekly pattern (a new pattern or its end cancels these, never those booked
    # by hand).
    registration = models.ForeignKey("Registration", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="bookings")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["day", "unit_id", "pk"]
        verbose_name = _("réservation")
        constraints = [
            # One child, one booking per unit and day, whichever household made it (shared custody).
            models.UniqueConstraint(fields=["child", "unit", "day"], condition=~Q(state="cancelled"),
                                    name="one_live_booking_per_child_unit_day"),
            models.UniqueConstraint(fields=["unit", "day", "waiting_position"], condition=Q(state="waiting"),
                                    name="one_child_per_waiting_position"),
            models.CheckConstraint(condition=Q(state="waiting", waiting_position__isnull=False)
                                   | (~Q(state="waiting") & Q(waiting_position__isnull=True)),
                                   name="a_position_only_on_the_waiting_list"),
        ]
        indexes = [models.Index(fields=["unit", "day", "state"], name="booking_unit_day_state"),
                   models.Index(fields=["family", "day"], name="booking_family_day"),
                   models.Index(fields=["day"], condition=Q(notice_pending=True), name="booking_notice_pending")]

    def __str__(self):
        return f"{self.child_id} {self.unit_id} {self.day:%d/%m/%Y} {self.state}"

    @property
    def awaits_acceptance(self):
        """A place given from the waiting list that the household has not accepted yet."""
        return self.needs_acceptance and self.accepted_at is None


class Absence(models.Model):
    """A booked day the child will miss, as the household (or staff) declared it."""

    class Reason(models.TextChoices):
        ILLNESS = "illness", _("Maladie")
        OTHER = "other", _("Autre raison")

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="absence")
    reason = models.CharField(_("motif"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("précision"), max_length=300, blank=True)
    declared_at = models.DateTimeField(_("signalée le"))
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # When the medical certificate came (an attachment of the absence): billing depends on it.
    certificate_received_at = models.DateTimeField(_("certificat reçu le"), null=True, blank=True)
    justified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("justifiée par"))
    justification = models.CharField(_("justification"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("absence")

    def __str__(self):
        return f"{self.booking} ({self.reason})"


class Registration(models.Model):
    """A child registered to an activity for a period by a household, with an optional weekly pattern
    ({"0": [unit ids], ...}: what is booked every Monday...) that approval books on every open day."""

    child = models.ForeignKey("families.Child", on_delete=models.PROTECT, related_name="registrations")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="registrations")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="registrations")
    first_day = models.DateField(_("du"))
    last_day = models.DateField(_("au"))
    pattern = models.JSONField(_("semaine type"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["first_day", "pk"]
        verbose_name = _("inscription")
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="registration_in_order"),
        ]
        indexes = [models.Index(fields=["child", "activity", "last_day"], name="registration_child_activity")]

    def __str__(self):
        return f"{self.child_id} {self.activity} {self.first_day:%d/%m/%Y}–{self.last_day:%d/%m/%Y}"


class Attendance(models.Model):
    """Whether a child came on a day for a unit, as the leader marked it on the sheet."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Présent")
        ABSENT = "absent", _("Absent")
        UNBOOKED = "unbooked", _("Présent sans réservation")

    child = models.ForeignKey("families.Child", on_delete=models.PROTECT, related_name="attendances")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="attendances")
    day = models.DateField(_("jour"))
    booking = models.OneToOneField(Booking, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="attendance")
    status = models.CharField(_("présence"), max_length=10, choices=Status.choices)
    departed_at = models.TimeField(_("heure de départ"), null=True, blank=True)
    collected_by = models.CharField(_("parti avec"), max_length=160, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("présence")
        constraints = [models.UniqueConstraint(fields=["child", "unit", "day"], name="one_attendance_per_child_unit_day")]
        indexes = [models.Index(fields=["unit", "day"], name="attendance_unit_day")]

    def __str__(self):
        return f"{self.child_id} {self.unit_id} {self.day:%d/%m/%Y} {self.status}"
