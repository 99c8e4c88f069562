from django.conf import settings
from django.db import models
from django.utils import timezone
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
        REQUEST_APPROVED = "request_approved", _("Demande validée")
        REQUEST_REJECTED = "request_rejected", _("Demande refusée")
        REQUEST_CANCELLED = "request_cancelled", _("Demande annulée")
        APPLICATION_APPROVED = "application_approved", _("Pré-inscription validée")
        APPLICATION_REJECTED = "application_rejected", _("Pré-inscription refusée")
        OVERRIDE = "override", _("Dérogation")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # SET_NULL, and the labels: the trail outlives what it describes (RGPD accountability, invoices).
    family = models.ForeignKey(
        "families.Family", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    family_label = models.CharField(max_length=40, blank=True)
    child = models.ForeignKey(
        "families.Child", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    child_label = models.CharField(max_length=160, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
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
    child = models.ForeignKey("families.Child", null=True, on_delete=models.SET_NULL, related_name="health_accesses")
    child_label = models.CharField(max_length=160, blank=True)
    path = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consultation de données de santé")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} → {self.child_id}"


class Attachment(models.Model):
    """A file someone sent, owned by one object of a domain app (a request, later a message).

    The row outlives the file: once purged (decided, refused, retention over) it keeps what was sent
    and when, without the content.
    """

    owner_type = models.CharField(max_length=60)
    owner_id = models.PositiveBigIntegerField()
    role = models.CharField(_("nature"), max_length=20)
    file = models.FileField(upload_to="attachments/%Y/%m/", max_length=200)
    original_name = models.CharField(_("nom du fichier"), max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("taille"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    retain_until = models.DateTimeField(null=True, blank=True, db_index=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("pièce jointe")
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self):
        return self.original_name

    @property
    def is_available(self):
        return self.purged_at is None and bool(self.file)


class OutgoingEmail(models.Model):
    """One e-mail to one recipient, written in the transaction of the event that causes it.

    A task sends it once the event commits; when the mail server fails, the row keeps the error
    and the time of its next attempt, and `manage.py sweep` tries again with a growing delay.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    to = models.EmailField(_("destinataire"), max_length=254)
    subject = models.CharField(_("objet"), max_length=300)
    text_body = models.TextField(_("texte"))
    html_body = models.TextField(_("version HTML"), blank=True)
    template = models.CharField(_("modèle"), max_length=200, blank=True)
    reference = models.CharField(_("origine"), max_length=150, blank=True)
    # A notification's signed one-click opt-out: sent as List-Unsubscribe (RFC 8058), so that mail clients
    # show their own "unsubscribe" button. Empty for account e-mails, which always go.
    unsubscribe_url = models.URLField(_("lien de désabonnement"), max_length=500, blank=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("envoi commencé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("courriel sortant")
        verbose_name_plural = _("courriels sortants")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="core_outbox_due")]

    def __str__(self):
        return f"{self.to}: {self.subject}"
