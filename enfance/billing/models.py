"""Régies, tariffs by quotient familial, the households' QF history, invoice runs, invoices and credit notes,
the days they billed, payments and their allocation.

An issued invoice never changes and is never deleted: a credit note (an Invoice of kind CREDIT_NOTE naming the
invoice it corrects) is the only correction. Numbers are gap-free per régie, kind and year (InvoiceCounter, a
locked row). Money is Decimal with two places (money.py).
"""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .money import ZERO

CODE = RegexValidator(r"^[A-Z0-9]{1,8}$", _("De 1 à 8 lettres majuscules ou chiffres, sans tiret."))


class Regie(models.Model):
    """One of the commune's cash offices: its own invoices, numbering, ledger and payment settings."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    # Starts every invoice number: with the year and a 6-digit sequence it stays within PayFiP's payment
    # reference (6 to 30 letters and digits, no dash).
    code = models.CharField(_("code"), max_length=8, unique=True, validators=[CODE])
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    hours = models.CharField(_("horaires d'ouverture"), max_length=300, blank=True)
    payment_days = models.PositiveSmallIntegerField(_("délai de paiement (jours)"), default=30)
    # The régie's account at the Treasury, printed on its invoices for families who pay by bank transfer.
    transfer_iban = models.CharField(_("IBAN du compte de la régie"), max_length=34, blank=True)
    transfer_bic = models.CharField(_("BIC du compte de la régie"), max_length=11, blank=True)
    # The online-payment issue's settings (PayFiP client number...), kept apart from the code.
    payment_settings = models.JSONField(default=dict, blank=True)
    activities = models.ManyToManyField("activities.Activity", through="RegieActivity", related_name="regies",
                                        verbose_name=_("activités encaissées"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("régie")

    def __str__(self):
        return self.name

    def transfer_text(self, number):
        """How to pay an invoice by bank transfer, as the invoice and its PDF say it; "" without an account."""
        if not self.transfer_iban:
            return ""
        iban = " ".join(self.transfer_iban[i:i + 4] for i in range(0, len(self.transfer_iban), 4))
        account = (_("IBAN %(iban)s, BIC %(bic)s") % {"iban": iban, "bic": self.transfer_bic} if self.transfer_bic
                   else _("IBAN %(iban)s") % {"iban": iban})
        return _("par virement au compte de la régie (%(account)s), en indiquant en référence le numéro de la "
                 "facture (%(number)s) ;") % {"account": account, "number": number}


class RegieActivity(models.Model):
    """An activity is billed by one régie only (the unique activity)."""

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT)
    activity = models.OneToOneField("activities.Activity", on_delete=models.PROTECT, related_name="regie_link")

    def __str__(self):
        return f"{self.regie_id} {self.activity_id}"


class InvoiceCounter(models.Model):
    """The last number given per régie, kind and year, locked while numbers are taken: no gap, no twice."""

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="counters")
    kind = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["regie", "kind", "year"], name="one_counter_per_sequence")]

    def __str__(self):
        return f"{self.regie_id} {self.kind} {self.year}: {self.last_number}"


class Quotient(models.Model):
    """A household's quotient familial from a day on; the one valid on a day priced that day."""

    class Source(models.TextChoices):
        CAF = "caf", _("Attestation CAF")
        TAX = "tax", _("Avis d'imposition (revenu fiscal de référence / 12 / parts)")
        STAFF = "staff", _("Saisi par la mairie")

    # The QF history goes with the household when its retention period ends (invoices, PROTECT, keep theirs).
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="quotients")
    value = models.PositiveIntegerField(_("quotient familial"))
    valid_from = models.DateField(_("valable à partir du"))
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["family_id", "valid_from", "pk"]
        verbose_name = _("quotient familial")
        constraints = [models.UniqueConstraint(fields=["family", "valid_from"], name="one_quotient_per_day")]

    def __str__(self):
        return f"QF {self.value} du {self.valid_from:%d/%m/%Y}"


class Tariff(models.Model):
    """The prices of one unit for a span of days, by QF bracket (TariffBracket), with its surcharges."""

    class Surcharge(models.TextChoices):
        NONE = "", _("Aucune")
        FIXED = "fixed", _("Montant fixe (€)")
        PERCENT = "percent", _("Pourcentage du prix (%)")

    unit = models.ForeignKey("activities.Unit", on_delete=models.PROTECT, related_name="tariffs")
    valid_from = models.DateField(_("du"))
    valid_until = models.DateField(_("au"), null=True, blank=True)
    # Households living outside the commune pay this, whatever their QF; none: the brackets apply to them too.
    outside_price = models.DecimalField(_("prix hors commune (€)"), max_digits=8, decimal_places=2, null=True,
                                        blank=True, validators=[MinValueValidator(ZERO)])
    late_kind = models.CharField(_("majoration d'une réservation tardive"), max_length=10, blank=True,
                                 choices=Surcharge.choices)
    late_value = models.DecimalField(max_digits=8, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)])
    unbooked_kind = models.CharField(_("majoration d'une présence sans réservation"), max_length=10, blank=True,
                                     choices=Surcharge.choices)
    unbooked_value = models.DecimalField(max_digits=8, decimal_places=2, default=ZERO,
                                         validators=[MinValueValidator(ZERO)])
    # Childcare that CESU may pay; never a meal (the canteen, a leisure centre's lunch).
    cesu = models.BooleanField(_("payable en CESU (garde, hors repas)"), default=True)

    class Meta:
        ordering = ["unit_id", "valid_from"]
        verbose_name = _("tarif")

    def __str__(self):
        return f"{self.unit} {self.valid_from:%d/%m/%Y}"


class TariffBracket(models.Model):
    """A QF bracket: up to `qf_max` included (none: the highest bracket, also for a household without QF)."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="brackets")
    label = models.CharField(_("tranche"), max_length=40)
    qf_max = models.PositiveIntegerField(_("QF jusqu'à (inclus)"), null=True, blank=True)
    price = models.DecimalField(_("prix unitaire (€)"), max_digits=8, decimal_places=2,
                                validators=[MinValueValidator(ZERO)])

    class Meta:
        ordering = ["tariff_id", models.F("qf_max").asc(nulls_last=True)]
        constraints = [models.UniqueConstraint(fields=["tariff", "qf_max"], name="one_bracket_per_bound"),
                       models.UniqueConstraint(fields=["tariff"], condition=Q(qf_max__isnull=True),
                                               name="one_highest_bracket")]

    def __str__(self):
        return f"{self.label} ({self.price} €)"


class InvoiceRun(models.Model):
    """The billing of a period for a régie: a preview's pool of drafts, then their issue."""

    class State(models.TextChoices):
        PREVIEWING = "previewing", _("Prévisualisation en cours")
        PREVIEWED = "previewed", _("Prévisualisée")
        ISSUING = "issuing", _("Émission en cours")
        ISSUED = "issued", _("Émise")
        DISCARDED = "discarded", _("Abandonnée")
        FAILED = "failed", _("En échec")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="runs")
    first_day = models.DateField(_("du"))
    last_day = models.DateField(_("au"))
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.PREVIEWING)
    # What the preview priced (bookings, absences, attendance): the issue refuses if it changed since.
    fingerprint = models.CharField(max_length=64, blank=True)
    households_total = models.PositiveIntegerField(default=0)
    households_done = models.PositiveIntegerField(default=0)
    anomalies = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(null=True, blank=True)
    # Written by the worker at each step: a run whose heartbeat stopped is resumed by the sweep.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Each preview takes the next attempt under the run's lock; a worker whose attempt is no longer the run's
    # (a sweep started another, staff discarded it) stops before writing anything.
    attempt = models.PositiveIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0)
    # The moment the issue began: every batch, resumed or not, is dated by it (one issue date, one year).
    issue_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("facturation")
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=models.F("first_day")), name="run_in_order"),
            # One preview or issue at a time per régie: two would price the same days.
            models.UniqueConstraint(fields=["regie"], condition=Q(state__in=["previewing", "previewed", "issuing"]),
                                    name="one_open_run_per_regie"),
        ]

    def __str__(self):
        return f"{self.regie_id} {self.first_day:%d/%m/%Y}–{self.last_day:%d/%m/%Y} ({self.state})"


class Invoice(models.Model):
    """An invoice or a credit note of a household to a régie: a draft of a run, then issued and immutable."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        CREDIT_NOTE = "credit_note", _("Avoir")

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        ISSUED = "issued", _("Émise")
        DISCARDED = "discarded", _("Brouillon abandonné")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="invoices")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="invoices")
    run = models.ForeignKey(InvoiceRun, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="credit_notes", verbose_name=_("facture corrigée"))
    number = models.CharField(_("numéro"), max_length=30, null=True, blank=True)
    first_day = models.DateField(_("période du"))
    last_day = models.DateField(_("au"))
    # Positive for both kinds: a credit note of 12,00 € lowers what the household owes by 12,00 €.
    total = models.DecimalField(_("montant"), max_digits=10, decimal_places=2, default=ZERO)
    # What the household owed the régie before this one, from the ledger at the issue: shown, never charged.
    previous_balance = models.DecimalField(_("solde antérieur"), max_digits=10, decimal_places=2, default=ZERO)
    # The account's credit this invoice took at its issue, in the issue's transaction (runs._take_credit): what its
    # PDF deducts from what to pay, whenever the PDF is made.
    credit_applied = models.DecimalField(_("crédit déduit à l'émission"), max_digits=10, decimal_places=2,
                                         default=ZERO)
    # The household as it was billed (name, address), so that a move or a new guardian changes no old invoice.
    billed_to = models.JSONField(default=dict, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(_("à payer avant le"), null=True, blank=True)
    pdf = models.FileField(upload_to="invoices/%Y/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the household was told (notices.tell_issued): a notice is sent once, and the sweep sends those missed.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("facture")
        constraints = [
            models.UniqueConstraint(fields=["regie", "number"], condition=Q(number__isnull=False),
                                    name="one_number_per_regie"),
            models.CheckConstraint(condition=Q(state="issued", number__isnull=False, issued_at__isnull=False)
                                   | (~Q(state="issued") & Q(number__isnull=True)), name="a_number_once_issued"),
            models.CheckConstraint(condition=Q(total__gte=0), name="a_positive_total"),
            # A run gives a household one invoice, and an invoice one credit note.
            models.UniqueConstraint(fields=["run", "family"], condition=Q(kind="invoice") & ~Q(state="discarded"),
                                    name="one_invoice_per_run_and_household"),
            models.UniqueConstraint(fields=["run", "corrects"], condition=Q(kind="credit_note") & ~Q(state="discarded"),
                                    name="one_credit_note_per_run_and_invoice"),
        ]
        indexes = [models.Index(fields=["family", "regie", "state"], name="invoice_family_regie")]

    def __str__(self):
        return self.number or f"brouillon {self.pk}"

    @property
    def is_credit_note(self):
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def signed_total(self):
        """What it adds to the household's debt: an invoice adds, a credit note takes away."""
        return -self.total if self.is_credit_note else self.total


class InvoiceLine(models.Model):
    """A child, unit and price over some days: "Restauration – Repas, 14 jours × 3,20 € (tranche 2, QF 620)"."""

    class Kind(models.TextChoices):
        BOOKED = "booked", _("Réservé")
        ABSENCE = "absence", _("Absence facturée")
        LATE = "late", _("Majoration : réservation tardive")
        UNBOOKED = "unbooked", _("Présent sans réservation")
        CREDIT = "credit", _("Correction")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    child = models.ForeignKey("families.Child", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("activities.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=300)  # the child, activity and unit, as printed
    days = models.JSONField(default=list)  # ISO dates
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    # The rule that set the price, in words: the bracket and the QF used, a surcharge, why an absence is billed.
    rule = models.CharField(max_length=300)
    # A correction names the invoice and the days it corrects (its rule says it too), and what they were billed as.
    corrects = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    credits_kind = models.CharField(max_length=10, blank=True, choices=Kind.choices)
    cesu = models.BooleanField(default=False)  # childcare CESU may pay, from its tariff

    class Meta:
        ordering = ["invoice_id", "pk"]

    def __str__(self):
        return self.label


class BilledDay(models.Model):
    """One child, unit, day and kind billed by an issued invoice line: the database refuses billing it twice,
    and a re-run finds here what it billed and whether the day's outcome changed since."""

    line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="billed_days")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("families.Child", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("activities.Unit", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=10, choices=InvoiceLine.Kind.choices)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    credited_by = models.ForeignKey(InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["family", "child", "unit", "day", "kind"],
                                               condition=Q(credited_by__isnull=True), name="a_day_billed_once")]
        indexes = [models.Index(fields=["family", "day"], name="billedday_family_day")]

    def __str__(self):
        return f"{self.child_id} {self.unit_id} {self.day:%d/%m/%Y} {self.kind}"


class Payment(models.Model):
    """Money received by a régie from a household, or the reversal of a mistaken one (never deleted)."""

    class Means(models.TextChoices):
        CHEQUE = "cheque", _("Chèque")
        CASH = "cash", _("Espèces")
        CESU = "cesu", _("CESU")
        TRANSFER = "transfer", _("Virement")
        CARD = "card", _("Carte bancaire en ligne")
        DIRECT_DEBIT = "direct_debit", _("Prélèvement")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="payments")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="payments")
    means = models.CharField(_("moyen de paiement"), max_length=14, choices=Means.choices)
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    received_on = models.DateField(_("reçu le"))
    reference = models.CharField(_("référence (n° de chèque...)"), max_length=80, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversal", verbose_name=_("annule le règlement"))
    reason = models.CharField(_("motif"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("règlement")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0, reverses__isnull=True)
                                              | Q(amount__lt=0, reverses__isnull=False), name="payment_sign")]

    def __str__(self):
        return f"{self.get_means_display()} {self.amount} € du {self.received_on:%d/%m/%Y}"


class Allocation(models.Model):
    """Part of a payment settling part of an invoice (negative for a reversal's)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    def __str__(self):
        return f"{self.payment_id} → {self.invoice_id} : {self.amount} €"


class Reminder(models.Model):
    """A reminder ("relance") of overdue invoices sent to a household, kept on its record."""

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="reminders")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="reminders")
    invoices = models.ManyToManyField(Invoice, related_name="reminders")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("relance")

    def __str__(self):
        return f"{self.family_id} {self.amount} € {self.sent_at:%d/%m/%Y}"
