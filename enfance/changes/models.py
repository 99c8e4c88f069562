"""Requests: every change a household asks for waits for the commune's check.

One model carries very different payloads. `kind` says how to read them:
- fields: some fields of one record (a phone number, the fiscal data);
- add / change / remove: an item of a list (an authorised person, a vaccination);
- file: a file (the child's photo), kept in private storage until decided.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="change_requests")
    child = models.ForeignKey(
        "families.Child", null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="change_requests"
    )
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True, db_index=True)
    category = models.CharField(_("catégorie"), max_length=40, db_index=True)
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Display values ({field: text}) of the record when the request was made, and the raw
    # proposed form data (re-validated against the current record when applied).
    before = models.JSONField(default=dict, blank=True)
    proposed = models.JSONField(default=dict, blank=True)
    proposed_display = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to="requests/", blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_approved = models.BooleanField(_("validée automatiquement"), default=False)
    answer = models.TextField(_("réponse de la mairie"), max_length=2000, blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("demande")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return str(_("Demande n° %(id)s") % {"id": self.pk})

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def category_obj(self):
        from enfance.families import categories

        return categories.get(self.category)

    @property
    def category_label(self):
        return self.category_obj.label

    @property
    def target_label(self):
        """What the request is about, in words: "Données sanitaires de Léa"."""
        label = str(self.category_label)
        if self.child_id:
            return f"{label} – {self.child.first_name}"
        return label


class CategorySetting(models.Model):
    """Per category: are households' requests applied at once (still recorded) or checked by staff?"""

    category = models.CharField(max_length=40, unique=True)
    auto_approve = models.BooleanField(_("validation automatique"), default=False)

    def __str__(self):
        return f"{self.category}: {'auto' if self.auto_approve else 'manual'}"


class NewHouseholdApplication(models.Model):
    """A "fiche de pré-inscription": a household not yet known applies on a public page.

    Staff approve it once the signed paper dossier has arrived, which creates the
    household. The payload holds the raw form values, validated again on approval.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        APPROVED = "approved", _("Validée")
        REJECTED = "rejected", _("Refusée")

    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True, db_index=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    payload = models.JSONField(default=dict)
    contact_email = models.EmailField(_("adresse électronique"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    answer = models.TextField(_("réponse"), max_length=2000, blank=True)
    dossier_received_on = models.DateField(_("dossier papier signé reçu le"), null=True, blank=True)
    family = models.ForeignKey("families.Family", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pré-inscription d'une nouvelle famille")

    def __str__(self):
        return str(_("Pré-inscription n° %(id)s") % {"id": self.pk})

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def guardians(self):
        """The payload's guardians, civility spelt out (Madame, Monsieur) as on the other staff pages."""
        from enfance.families.models import Guardian

        labels = dict(Guardian.Civility.choices)
        return [{**g, "civility": labels.get(g.get("civility"), g.get("civility", ""))}
                for g in self.payload.get("guardians", [])]

    @property
    def display_name(self):
        guardians = self.payload.get("guardians") or [{}]
        first = guardians[0]
        return f"{first.get('first_name', '')} {first.get('last_name', '')}".strip()
