"""The public "fiche de pré-inscription" and the staff's decision on it."""

from django import forms
from django.core import signing
from django.forms import formset_factory, modelform_factory
from django.utils.translation import gettext_lazy as _

from enfance.core.forms import DATE_INPUT_FORMATS, DATE_WIDGET
from enfance.core.validators import validate_not_future

from .forms import ChildForm, GuardianForm, HouseholdForm
from .models import Child

MIN_FILL_SECONDS = 4
SIGNER_SALT = "enfance.application.started"


class ApplicationHouseholdForm(HouseholdForm):
    pass


class MainGuardianForm(GuardianForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("Les liens pour activer votre accès au portail y seront envoyés.")


class SecondGuardianForm(GuardianForm):
    """Optional: left blank, it is simply ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_permitted", True)
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)


ApplicationChildForm = modelform_factory(
    Child, form=ChildForm, fields=["last_name", "first_name", "birth_date", "sex", "school", "school_class", "diet"]
)
class BaseChildFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any(form.cleaned_data for form in self.forms):
            raise forms.ValidationError(_("Indiquez au moins un enfant."), code="too_few_forms")


ChildFormSet = formset_factory(ApplicationChildForm, formset=BaseChildFormSet, extra=3, min_num=1, validate_min=False,
                               max_num=6,
                               validate_max=True)


class AntiBotForm(forms.Form):
    """A honeypot field people never see, and a minimum time to fill the page: no third-party captcha."""

    website = forms.CharField(required=False, label=_("Ne pas remplir ce champ"),
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
    started = forms.CharField(widget=forms.HiddenInput)

    @staticmethod
    def initial_token():
        return signing.TimestampSigner(salt=SIGNER_SALT).sign("form")

    def is_bot(self):
        return bool(self.data.get("website"))

    def clean_started(self):
        token = self.cleaned_data["started"]
        signer = signing.TimestampSigner(salt=SIGNER_SALT)
        try:
            signer.unsign(token, max_age=60 * 60 * 6)
        except signing.SignatureExpired:
            raise forms.ValidationError(_("La page est restée ouverte trop longtemps : vérifiez puis renvoyez."),
                                        code="expired") from None
        except signing.BadSignature:
            raise forms.ValidationError(_("Le formulaire n'a pas pu être vérifié : renvoyez-le."),
                                        code="bad") from None
        try:
            signer.unsign(token, max_age=MIN_FILL_SECONDS)
        except signing.SignatureExpired:
            return token
        raise forms.ValidationError(_("Le formulaire a été envoyé trop vite : vérifiez-le puis renvoyez-le."),
                                    code="too_fast")


class ApplicationApproveForm(forms.Form):
    dossier_received_on = forms.DateField(
        label=_("Dossier papier signé reçu le"), widget=DATE_WIDGET, input_formats=DATE_INPUT_FORMATS,
        validators=[validate_not_future],
        error_messages={"required": _("La date de réception du dossier papier signé est obligatoire.")},
    )

    def __init__(self, *args, duplicates=(), **kwargs):
        super().__init__(*args, **kwargs)
        # One choice per child of the application: create a new record, or link an existing child.
        for index, (child, candidates) in enumerate(duplicates):
            choices = [("", _("Créer une nouvelle fiche enfant"))]
            for candidate in candidates:
                families = ", ".join(link.family.reference for link in candidate.links.all())
                choices.append((str(candidate.pk), _("Rattacher à %(name)s, né(e) le %(date)s (foyer %(families)s)")
                                % {"name": candidate, "date": candidate.birth_date.strftime("%d/%m/%Y"),
                                   "families": families}))
            self.fields[f"child_{index}"] = forms.ChoiceField(
                label=_("Enfant %(name)s") % {"name": f"{child.get('first_name', '')} {child.get('last_name', '')}"},
                choices=choices, required=False,
            )

    def links(self):
        return {int(name.split("_")[1]): int(value) for name, value in self.cleaned_data.items()
                if name.startswith("child_") and value}


class ApplicationRejectForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Le motif du refus est obligatoire.")})
