"""The commune's service rules ("conditions de fonctionnement"), published per school year."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceRules(models.Model):
    school_year = models.PositiveSmallIntegerField(
        _("année scolaire (année de la rentrée)"), unique=True, help_text=_("Par exemple 2026 pour 2026-2027.")
    )
    title = models.CharField(_("titre"), max_length=200)
    text = models.TextField(_("texte"), max_length=50000)
    pdf = models.FileField(_("version PDF"), upload_to="rules/", blank=True)
    published_at = models.DateTimeField(_("publiées le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-school_year"]
        verbose_name = _("conditions de fonctionnement")

    def __str__(self):
        return f"{self.title} ({self.school_year_label})"

    @property
    def school_year_label(self):
        return f"{self.school_year}-{self.school_year + 1}"


class Acknowledgement(models.Model):
    """A login read and accepted the rules online (once per school year)."""

    rules = models.ForeignKey(ServiceRules, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rules", "user"], name="one_acknowledgement_per_login")]

    def __str__(self):
        return f"{self.user_id} ✓ {self.rules_id}"


class SignedCopy(models.Model):
    """The date the household's signed paper copy of the rules reached the town hall."""

    rules = models.ForeignKey(ServiceRules, on_delete=models.CASCADE, related_name="signed_copies")
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="signed_rules")
    received_on = models.DateField(_("exemplaire signé reçu le"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rules", "family"], name="one_signed_copy_per_family")]

    def __str__(self):
        return f"{self.family_id} ✓ {self.rules_id} {self.received_on}"
