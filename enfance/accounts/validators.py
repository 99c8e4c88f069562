import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 128


class LengthValidator:
    """At least 12 characters (a lockout protects the login), at most 128."""

    def validate(self, password, user=None):
        if len(password) < MIN_LENGTH:
            raise ValidationError(
                _("Le mot de passe doit contenir au moins %(min)d caractères.") % {"min": MIN_LENGTH},
                code="password_too_short",
            )
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                _("Le mot de passe ne peut pas dépasser %(max)d caractères.") % {"max": MAX_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self):
        return _("Entre %(min)d et %(max)d caractères.") % {"min": MIN_LENGTH, "max": MAX_LENGTH}


class LettersAndDigitsValidator:
    def validate(self, password, user=None):
        if not re.search(r"[^\W\d_]", password) or not re.search(r"\d", password):
            raise ValidationError(
                _("Le mot de passe doit contenir des lettres et des chiffres."), code="password_letters_digits"
            )

    def get_help_text(self):
        return _("Au moins une lettre et au moins un chiffre.")
