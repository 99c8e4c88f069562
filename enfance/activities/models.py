"""The commune's activities (canteen, before and after-school care, leisure centres) and their calendar.

This first part holds the opening calendar: the school holidays of the commune's zone, kept as data that
staff can edit, and the closures (a strike, a bridge day). Public holidays come from the `holidays`
package (calendar.py), never stored.
"""

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
