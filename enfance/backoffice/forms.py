"""Forms of the staff pages that the shared record forms do not cover."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enfance.accounts.forms import StaffLoginCreateForm
from enfance.accounts.models import User


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Nom, prénom, enfant, n° de dossier, téléphone, adresse électronique ou commune"),
                        max_length=100,
                        required=False, widget=forms.SearchInput(attrs={"autocomplete": "off"}))
    archived = forms.BooleanField(label=_("Inclure les foyers archivés"), required=False)


class ChildSearchForm(forms.Form):
    q = forms.CharField(label=_("Prénom et/ou nom de l'enfant"), max_length=100, min_length=2, required=False,
                        widget=forms.SearchInput(attrs={"autocomplete": "off"}))


class ArchiveForm(forms.Form):
    reason = forms.CharField(label=_("Motif de l'archivage"), max_length=200,
                             help_text=_("Par exemple : déménagement hors de la commune."))


class FamilyLoginForm(StaffLoginCreateForm):
    guardian = forms.ModelChoiceField(label=_("Responsable"), queryset=None, empty_label=None)
    field_order = ["guardian", "username", "email"]

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family
        self.fields["guardian"].queryset = family.guardians.all()

    def clean_guardian(self):
        guardian = self.cleaned_data["guardian"]
        if guardian.logins.filter(is_active=True).exists():
            raise ValidationError(_("Ce responsable a déjà un identifiant ouvert."))
        return guardian


class StaffAccountForm(StaffLoginCreateForm):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    role = forms.ChoiceField(label=_("Rôle"), choices=[
        (User.Role.AGENT, User.Role.AGENT.label),
        (User.Role.LEADER, User.Role.LEADER.label),
        (User.Role.ADMIN, User.Role.ADMIN.label),
    ])
    field_order = ["first_name", "last_name", "username", "email", "role"]
