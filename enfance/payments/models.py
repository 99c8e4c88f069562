"""Online payment attempts (one row per attempt, with its own state) and what the banks said about them.

An attempt is found by its random token (its notification, return and result URLs carry it), never by its
primary key. Its state changes only in attempts.py, under a lock on its row; a card Payment (billing) is
recorded once per attempt, when the provider confirms over its own channel.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_token():
    return secrets.token_urlsafe(24)  # 32 characters, 192 bits


class PaymentAttempt(models.Model):
    class State(models.TextChoices):
        CREATED = "created", _("Créé")
        PENDING = "pending", _("En cours")
        PAID = "paid", _("Payé")
        REFUSED = "refused", _("Refusé")
        CANCELLED = "cancelled", _("Annulé")
        EXPIRED = "expired", _("Expiré")
        ERROR = "error", _("Erreur")

    OPEN_STATES = (State.CREATED, State.PENDING)

    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    regie = models.ForeignKey("billing.Regie", on_delete=models.PROTECT, related_name="payment_attempts")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="payment_attempts")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    provider = models.CharField(_("prestataire"), max_length=20)
    # The régie's settings the attempt started with (config.options_of): the bank is asked, and its notices
    # checked, with these, even once the régie has moved to another bank. Never a secret: a digest of each secret
    # in use, and a notice is read with the régie's current secret only while its digest is this one.
    provider_options = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.CREATED)
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    # The invoices chosen (none: the balance of the account, oldest invoices first).
    invoices = models.ManyToManyField("billing.Invoice", blank=True, related_name="payment_attempts")
    refdet = models.CharField(_("référence de paiement"), max_length=30)
    email = models.CharField(max_length=254, blank=True)
    reference = models.CharField(_("référence de la banque"), max_length=80, blank=True, db_index=True)
    bank_url = models.URLField(max_length=1000, blank=True)
    # [[name, value], ...] the payer's browser POSTs to bank_url (SystemPay, Paybox, Sips); empty: a plain link.
    bank_form = models.JSONField(default=list, blank=True)
    test = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)
    paid_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # The bank confirmed a payment that is not the one asked for: staff decide (attempts.reconcile).
    needs_review = models.BooleanField(_("à vérifier"), default=False)
    review_note = models.CharField(max_length=300, blank=True)
    payment = models.OneToOneField("billing.Payment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="attempt")
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("paiement en ligne")
        indexes = [models.Index(fields=["family", "regie", "state"], name="attempt_family_state"),
                   models.Index(fields=["state", "started_at"], name="attempt_state_started",
                                condition=Q(state__in=["created", "pending"]))]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="attempt_amount_positive")]

    def __str__(self):
        return f"{self.provider} {self.amount} € {self.get_state_display()}"

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES


class PaymentEvent(models.Model):
    """One exchange with the bank or one decision about an attempt, appended and never changed."""

    class Source(models.TextChoices):
        START = "start", _("Ouverture à la banque")
        NOTIFICATION = "notification", _("Notification de la banque")
        RETURN = "return", _("Retour de la famille")
        PAGE = "page", _("Page de résultat")
        SWEEP = "sweep", _("Vérification périodique")
        STAFF = "staff", _("Agent")
        FAMILY = "family", _("Famille")

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    state = models.CharField(max_length=10, blank=True)  # what the bank said (or what staff decided)
    changed = models.BooleanField(default=False)  # whether it moved the attempt
    raw = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.attempt_id} {self.source} {self.state}"


class SandboxOperation(models.Model):
    """The sandbox bank's own book: what its payer chose, read back by SandboxProvider.status(), the sandbox's
    "own channel". Never used in production (settings refuse the sandbox there)."""

    class Outcome(models.TextChoices):
        WAITING = "waiting", _("En attente")
        PAID = "paid", _("Payé")
        REFUSED = "refused", _("Refusé")
        CANCELLED = "cancelled", _("Annulé")

    reference = models.CharField(max_length=40, unique=True, default=new_token)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    refdet = models.CharField(max_length=30)
    description = models.CharField(max_length=200, blank=True)
    notify_url = models.URLField(max_length=1000)
    return_url = models.URLField(max_length=1000)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    notify_after = models.DateTimeField(null=True, blank=True)  # a notification still to send
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.reference} {self.amount} {self.outcome}"
