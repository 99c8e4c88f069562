import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enfance.core.dates import today

PHONE_RE = re.compile(r"^\+?[0-9][0-9 .\-]{5,18}[0-9]$")


def validate_phone(value):
    if not value:
        return
    digits = re.sub(r"\D", "", value)
    if not PHONE_RE.match(value.strip()) or not 9 <= len(digits) <= 15:
        raise ValidationError(
            _("Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78."), code="phone"
        )


def normalize_phone(value):
    """06.12.34.56.78 and 0612345678 are stored as 06 12 34 56 78."""
    value = (value or "").strip()
    digits = re.sub(r"\D", "", value)
    if len(digits) == 10 and digits.startswith("0") and not value.startswith("+"):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return value


def validate_postal_code(value):
    if not re.fullmatch(r"\d{5}", value or ""):
        raise ValidationError(_("Le code postal compte 5 chiffres."), code="postal_code")


def validate_not_future(value):
    if value and value > today():
        raise ValidationError(_("Cette date ne peut pas être dans le futur."), code="future")


def validate_plausible_birth_date(value):
    validate_not_future(value)
    if value and value.year < today().year - 25:
        raise ValidationError(_("Cette date de naissance est trop ancienne pour un enfant."), code="too_old")
