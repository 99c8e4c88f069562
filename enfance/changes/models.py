"""Requests: every change a household asks for waits for the commune's check.

One model carries very different payloads; its request type (changes.registry) reads them.
`kind` says what the household asks in general terms (change some fields, add, change or
remove an item, send a file, a set of lines such as a week of bookings).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import registry


class ChangeRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=ChangeRequest.Status.PENDING)


class ChangeRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        APPROVED = "approved", _("Validée")
        REJECTED = "rejected", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    class Kind(models.TextChoices):
        FIELDS = "fields", _("Modification")
        ADD = "add", _("Ajout")
        CHANGE = "change", _("Modification")
        REMOVE = "remove", _("Suppression")
        FILE = "file", _("Nouveau fichier")
        LINES = "lines", _("Demande groupée")

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="change_requests")
    child = models.ForeignKey(
        "families.Child", null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="change_requests"
    )
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True, db_index=True)
    request_type = models.CharField(_("type de demande"), max_length=40, db_index=True)
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Raw values ({field: value as form data}) of the record when the request was made, and those proposed:
    # formatted only when shown, validated again against the record as it is when decided.
    before = models.JSONField(default=dict, blank=True)
    proposed = models.JSONField(default=dict, blank=True)
    # Two pending requests with one key cannot coexist (a database constraint): one per record and household.
    conflict_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_approved = models.BooleanField(_("validée automatiquement"), default=False)
    # An automatic approval seen by staff afterwards (the "à contrôler" list).
    checked_at = models.DateTimeField(_("contrôlée le"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    answer = models.TextField(_("réponse de la mairie"), max_length=2000, blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("demande")
        indexes = [models.Index(fields=["status", "created_at"]),
                   models.Index(fields=["created_at"], condition=Q(auto_approved=True, checked_at__isnull=True),
                                name="request_to_check")]
        constraints = [
            models.UniqueConstraint(fields=["conflict_key"], condition=Q(status="pending") & ~Q(conflict_key=""),
                                    name="one_pending_request_per_key"),
        ]

    def __str__(self):
        return str(_("Demande n° %(id)s") % {"id": self.pk})

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def type(self):
        return registry.find(self.request_type)

    @property
    def type_label(self):
        request_type = self.type
        return request_type.label if request_type is not None else registry.UNKNOWN_LABEL

    @property
    def target_label(self):
        """What the request is about, in words: "Données sanitaires de Léa"."""
        request_type = self.type
        return request_type.owner_label(self) if request_type is not None else str(registry.UNKNOWN_LABEL)

    @property
    def is_sensitive(self):
        request_type = self.type
        return bool(request_type and request_type.sensitive)


class RequestLine(models.Model):
    """One line of a request that carries several (a week of bookings for three children), with its own outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACCEPTED = "accepted", _("Acceptée")
        WAITING = "waiting", _("En liste d'attente")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    payload = models.JSONField(default=dict)
    conflict_key = models.CharField(max_length=200, blank=True)
    # Open while the request waits: two open lines with one key cannot coexist (a database constraint).
    is_open = models.BooleanField(default=True)
    outcome = models.CharField(_("issue"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(_("motif"), max_length=300, blank=True)

    class Meta:
        ordering = ["request_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conflict_key"], condition=Q(is_open=True) & ~Q(conflict_key=""),
                                    name="one_open_line_per_key"),
        ]

    def __str__(self):
        return f"{self.request_id}/{self.position}"

    @property
    def label(self):
        request_type = self.request.type
        return request_type.line_label(self) if request_type is not None else ""


class CategorySetting(models.Model):
    """Per request type: are households' requests applied at once (still recorded) or checked by staff?"""

    category = models.CharField(max_length=40, unique=True)
    auto_approve = models.BooleanField(_("validation automatique"), default=False)

    def __str__(self):
        return f"{self.category}: {'auto' if self.auto_approve else 'manual'}"
