from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who changed what, when: old and new values as shown to people."""

    class Action(models.TextChoices):
        CREATE = "create", _("Création")
        UPDATE = "update", _("Modification")
        DELETE = "delete", _("Suppression")
        ARCHIVE = "archive", _("Archivage")
        LOGIN_CREATED = "login_created", _("Identifiant créé")
        LOGIN_INVITED = "login_invited", _("Invitation envoyée")
        LOGIN_CLOSED = "login_closed", _("Identifiant fermé")
        REQUEST = "request", _("Demande")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    family = models.ForeignKey(
        "families.Family", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    child = models.ForeignKey(
        "families.Child", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("entrée du journal")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"


class HealthAccessLog(models.Model):
    """Each time a staff member opens a child's health data (RGPD art. 9)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("families.Child", on_delete=models.CASCADE, related_name="health_accesses")
    path = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consultation de données de santé")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} → {self.child_id}"
