"""Household records: what the user's description calls "informations personnelles".

One child record may be shared by two households (shared custody); everything
else (address, guardians, fiscal, CAF and bank data, authorised persons)
belongs to exactly one household.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from enfance.core.fields import MaskedIBANMixin


class Family(models.Model):
    reference = models.CharField(_("numéro de dossier"), max_length=20, unique=True)
    address_line1 = models.CharField(_("adresse"), max_length=120)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=120, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5)
    city = models.CharField(_("commune"), max_length=80)
    home_phone = models.CharField(_("téléphone du domicile"), max_length=20, blank=True)
    dossier_received_on = models.DateField(
        _("dossier papier signé reçu le"),
        null=True,
        blank=True,
        help_text=_("Aucun accès au portail avant la réception du dossier papier signé."),
    )
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True, db_index=True)
    archive_reason = models.CharField(_("motif d'archivage"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("foyer")
        verbose_name_plural = _("foyers")
        ordering = ["reference"]

    def __str__(self):
        return f"{self.reference} {self.display_name}".strip()

    @property
    def display_name(self):
        # Uses the prefetched guardians when present (list pages prefetch them).
        names = [g.last_name for g in self.guardians.all()]
        return " / ".join(dict.fromkeys(names)) or str(_("Foyer sans responsable"))

    @property
    def is_archived(self):
        return self.archived_at is not None

    @property
    def full_address(self):
        parts = [self.address_line1, self.address_line2, f"{self.postal_code} {self.city}"]
        return ", ".join(p for p in parts if p.strip())


class Guardian(models.Model):
    class Rank(models.IntegerChoices):
        MAIN = 1, _("Responsable")
        SECOND = 2, _("Conjoint")

    class Civility(models.TextChoices):
        MME = "MME", _("Madame")
        M = "M", _("Monsieur")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="guardians")
    rank = models.PositiveSmallIntegerField(_("rang"), choices=Rank.choices)
    civility = models.CharField(_("civilité"), max_length=3, choices=Civility.choices)
    last_name = models.CharField(_("nom"), max_length=80)
    first_name = models.CharField(_("prénom"), max_length=80)
    birth_name = models.CharField(_("nom de naissance"), max_length=80, blank=True)
    relation = models.CharField(_("lien avec les enfants"), max_length=40, blank=True)
    email = models.EmailField(_("adresse électronique"), max_length=254, blank=True)
    mobile_phone = models.CharField(_("téléphone portable"), max_length=20, blank=True)
    work_phone = models.CharField(_("téléphone professionnel"), max_length=20, blank=True)
    profession = models.CharField(_("profession"), max_length=80, blank=True)
    employer = models.CharField(_("employeur"), max_length=120, blank=True)
    employer_address = models.CharField(_("adresse de l'employeur"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("responsable")
        ordering = ["family_id", "rank"]
        constraints = [models.UniqueConstraint(fields=["family", "rank"], name="one_guardian_per_rank")]

    def __str__(self):
        return f"{self.get_civility_display()} {self.first_name} {self.last_name}"


class TaxInfo(models.Model):
    family = models.OneToOneField(Family, on_delete=models.CASCADE, related_name="tax_info")
    year = models.PositiveSmallIntegerField(_("année des revenus"))
    reference_income = models.DecimalField(_("revenu fiscal de référence (€)"), max_digits=10, decimal_places=2)
    tax_shares = models.DecimalField(_("nombre de parts"), max_digits=4, decimal_places=2)

    class Meta:
        verbose_name = _("données fiscales")

    def __str__(self):
        return str(_("Données fiscales %(year)s") % {"year": self.year})


class CafInfo(models.Model):
    class Regime(models.TextChoices):
        CAF = "CAF", _("Régime général (CAF)")
        MSA = "MSA", _("Régime agricole (MSA)")
        OTHER = "AUTRE", _("Autre régime")

    family = models.OneToOneField(Family, on_delete=models.CASCADE, related_name="caf_info")
    regime = models.CharField(_("régime"), max_length=5, choices=Regime.choices)
    allocataire_number = models.CharField(_("numéro d'allocataire"), max_length=20, blank=True)
    quotient = models.PositiveIntegerField(_("quotient familial"), null=True, blank=True)
    quotient_valid_from = models.DateField(_("quotient valable depuis le"), null=True, blank=True)

    class Meta:
        verbose_name = _("données C.A.F.")

    def __str__(self):
        return str(_("Données C.A.F."))


class BankAccount(MaskedIBANMixin, models.Model):
    family = models.OneToOneField(Family, on_delete=models.CASCADE, related_name="bank_account")
    holder = models.CharField(_("titulaire du compte"), max_length=120)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    mandate_reference = models.CharField(_("référence du mandat SEPA"), max_length=35, blank=True)
    mandate_signed_on = models.DateField(_("mandat signé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("coordonnées bancaires")

    def __str__(self):
        return str(_("Compte %(iban)s") % {"iban": self.masked_iban})


class Child(models.Model):
    class Sex(models.TextChoices):
        F = "F", _("Fille")
        M = "M", _("Garçon")

    class Diet(models.TextChoices):
        # No religious options: "sans porc" is allowed, "halal" is not.
        STANDARD = "standard", _("Menu standard")
        NO_PORK = "no_pork", _("Sans porc")
        VEGETARIAN = "vegetarian", _("Végétarien")
        PACKED_LUNCH = "packed_lunch", _("Panier repas (PAI)")

    last_name = models.CharField(_("nom"), max_length=80)
    first_name = models.CharField(_("prénom"), max_length=80)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    school = models.CharField(_("école"), max_length=120, blank=True)
    school_class = models.CharField(_("classe"), max_length=40, blank=True)
    diet = models.CharField(_("régime alimentaire"), max_length=20, choices=Diet.choices, default=Diet.STANDARD)
    photo_consent = models.BooleanField(_("droit à l'image accordé"), default=False)
    may_leave_alone = models.BooleanField(_("autorisé à partir seul"), default=False)
    photo = models.ImageField(_("photo"), upload_to="photos/", blank=True)
    families = models.ManyToManyField(Family, through="ChildLink", related_name="children")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enfant")
        ordering = ["birth_date", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class ChildLink(models.Model):
    """A child in a household; two links for a child in shared custody."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="child_links")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="links")
    since = models.DateField(_("depuis le"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["family", "child"], name="one_link_per_child_family")]

    def __str__(self):
        return f"{self.child_id} ∈ {self.family_id}"


class HealthRecord(models.Model):
    child = models.OneToOneField(Child, on_delete=models.CASCADE, related_name="health")
    doctor_name = models.CharField(_("médecin traitant"), max_length=120, blank=True)
    doctor_phone = models.CharField(_("téléphone du médecin"), max_length=20, blank=True)
    allergies = models.TextField(_("allergies"), max_length=2000, blank=True)
    has_pai = models.BooleanField(_("projet d'accueil individualisé (PAI)"), default=False)
    pai_details = models.TextField(_("détails du PAI"), max_length=2000, blank=True)
    treatments = models.TextField(_("traitements en cours"), max_length=2000, blank=True)
    notes = models.TextField(_("autres recommandations"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("données sanitaires")

    def __str__(self):
        return str(_("Données sanitaires"))


class Vaccination(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="vaccinations")
    vaccine = models.CharField(_("vaccin"), max_length=80)
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("vaccination")
        ordering = ["date", "vaccine"]

    def __str__(self):
        return f"{self.vaccine} ({self.date:%d/%m/%Y})"


class AuthorizedPerson(models.Model):
    """Named by one household for one child; the other household never sees it."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="authorized_persons")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="authorized_persons")
    last_name = models.CharField(_("nom"), max_length=80)
    first_name = models.CharField(_("prénom"), max_length=80)
    relation = models.CharField(_("lien avec l'enfant"), max_length=60)
    phone = models.CharField(_("téléphone"), max_length=20)
    phone2 = models.CharField(_("autre téléphone"), max_length=20, blank=True)
    can_pick_up = models.BooleanField(_("peut venir chercher l'enfant"), default=True)
    is_emergency_contact = models.BooleanField(_("à prévenir en cas d'urgence"), default=False)
    is_forbidden = models.BooleanField(_("interdit de venir chercher l'enfant"), default=False)

    class Meta:
        verbose_name = _("personne autorisée")
        verbose_name_plural = _("personnes autorisées")
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def role_display(self):
        if self.is_forbidden:
            return str(_("Interdit de venir chercher l'enfant"))
        roles = []
        if self.can_pick_up:
            roles.append(str(_("peut venir chercher l'enfant")))
        if self.is_emergency_contact:
            roles.append(str(_("à prévenir en cas d'urgence")))
        return ", ".join(roles).capitalize()


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
    family = models.ForeignKey(Family, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "changes_newhouseholdapplication"  # moved from `changes`, table kept
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
        labels = dict(Guardian.Civility.choices)
        return [{**g, "civility": labels.get(g.get("civility"), g.get("civility", ""))}
                for g in self.payload.get("guardians", [])]

    @property
    def display_name(self):
        guardians = self.payload.get("guardians") or [{}]
        first = guardians[0]
        return f"{first.get('first_name', '')} {first.get('last_name', '')}".strip()


class ReferenceCounter(models.Model):
    """The last number given to a household reference ("F" + number), one row per prefix.

    The row is locked while a reference is chosen, so two creations at the same moment never pick the
    same number; a number lost to a rolled-back creation stays unused (references need no continuity).
    """

    prefix = models.CharField(max_length=4, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.prefix}{self.last_number}"
