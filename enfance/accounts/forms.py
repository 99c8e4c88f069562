from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Identifiant ou mot de passe incorrect. Après 5 essais, le compte est bloqué 15 minutes."),
        "inactive": _("Ce compte est fermé. Contactez la mairie."),
        "no_dossier": _("Votre dossier papier signé n'a pas encore été enregistré par la mairie : "
                        "le portail s'ouvrira dès sa réception."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Identifiant")
        self.fields["username"].help_text = _("Ou l'adresse électronique de votre compte.")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].label = _("Mot de passe")

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_family:
            if user.family.archived_at is not None:
                raise ValidationError(self.error_messages["inactive"], code="inactive")
            if user.family.dossier_received_on is None:
                raise ValidationError(self.error_messages["no_dossier"], code="no_dossier")


class StaffLoginCreateForm(forms.Form):
    username = forms.CharField(label=_("Identifiant"), max_length=150)
    email = forms.EmailField(label=_("Adresse électronique"), help_text=_("Le lien d'activation y est envoyé."))

    def clean_username(self):
        from .models import User

        value = self.cleaned_data["username"].strip()
        field = User._meta.get_field("username")
        for validator in field.validators:
            validator(value)
        if User.objects.filter(username__iexact=value).exists():
            raise ValidationError(_("Cet identifiant est déjà utilisé."))
        return value


class UsernameReminderForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique"), max_length=254,
        help_text=_("Celle que la mairie a enregistrée pour votre compte."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": _("Indiquez votre adresse électronique."),
                        "invalid": _("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.")},
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, its e-mail sent through the outbox (kept and retried) and naming the account."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from enfance.core.mail import send_templated_email

        user = context["user"]
        person = user.guardian or user
        name = " ".join(filter(None, [person.first_name, person.last_name]))
        send_templated_email(to_email, email_template_name, {**context, "person": name},
                             reference=_("Mot de passe oublié (%(username)s)") % {"username": user.username})
