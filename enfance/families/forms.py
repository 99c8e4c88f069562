"""Forms for household records, shared by the staff pages and the portal's requests."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from enfance.core.dates import today
from enfance.core.forms import DATE_INPUT_FORMATS, DATE_WIDGET
from enfance.core.images import clean_photo
from enfance.core.validators import (
    normalize_phone,
    validate_not_future,
    validate_phone,
    validate_plausible_birth_date,
    validate_postal_code,
)

from .models import AuthorizedPerson, BankAccount, CafInfo, Child, Family, Guardian, HealthRecord, TaxInfo, Vaccination


class RecordForm(forms.ModelForm):
    """Common behaviour: phones checked and tidied, dates as date inputs, autocomplete hints."""

    phone_fields = ()
    autocomplete = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField):
                field.widget = DATE_WIDGET
                field.input_formats = DATE_INPUT_FORMATS
            if name in self.phone_fields:
                field.validators.append(validate_phone)
                field.widget.input_type = "tel"
                field.widget.attrs.setdefault("autocomplete", "tel")
            if name in self.autocomplete:
                field.widget.attrs["autocomplete"] = self.autocomplete[name]

    def _post_clean(self):
        for name in self.phone_fields:
            if name in self.cleaned_data:
                self.cleaned_data[name] = normalize_phone(self.cleaned_data[name])
        super()._post_clean()


class HouseholdForm(RecordForm):
    phone_fields = ("home_phone",)
    autocomplete = {
        "address_line1": "address-line1",
        "address_line2": "address-line2",
        "postal_code": "postal-code",
        "city": "address-level2",
    }

    class Meta:
        model = Family
        fields = ["address_line1", "address_line2", "postal_code", "city", "home_phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["postal_code"].validators.append(validate_postal_code)
        self.fields["postal_code"].widget.attrs["inputmode"] = "numeric"


class StaffHouseholdForm(HouseholdForm):
    class Meta(HouseholdForm.Meta):
        fields = ["reference", *HouseholdForm.Meta.fields, "dossier_received_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dossier_received_on"].validators.append(validate_not_future)
        if not self.instance.pk:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Laissez vide pour un numéro attribué automatiquement.")


class GuardianForm(RecordForm):
    phone_fields = ("mobile_phone", "work_phone")
    autocomplete = {
        "last_name": "family-name",
        "first_name": "given-name",
        "email": "email",
        "profession": "organization-title",
        "employer": "organization",
    }

    class Meta:
        model = Guardian
        fields = [
            "civility",
            "last_name",
            "first_name",
            "birth_name",
            "relation",
            "email",
            "mobile_phone",
            "work_phone",
            "profession",
            "employer",
            "employer_address",
        ]

    def clean(self):
        data = super().clean()
        if not (data.get("mobile_phone") or data.get("email")):
            if not self.errors.get("mobile_phone") and not self.errors.get("email"):
                self.add_error("mobile_phone", _("Indiquez au moins un téléphone portable ou une adresse électronique."))
        return data


class TaxInfoForm(RecordForm):
    class Meta:
        model = TaxInfo
        fields = ["year", "reference_income", "tax_shares"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].min_value = 2000
        self.fields["year"].widget.attrs.update(min=2000, max=today().year)
        self.fields["reference_income"].min_value = Decimal("0")
        self.fields["tax_shares"].widget.attrs.update(min="1", max="20", step="0.25")

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not 2000 <= year <= today().year:
            raise ValidationError(_("Indiquez une année entre 2000 et %(year)s.") % {"year": today().year})
        return year

    def clean_reference_income(self):
        value = self.cleaned_data["reference_income"]
        if value < 0:
            raise ValidationError(_("Le revenu fiscal de référence ne peut pas être négatif."))
        return value

    def clean_tax_shares(self):
        value = self.cleaned_data["tax_shares"]
        if not Decimal("1") <= value <= Decimal("20") or (value * 4) % 1:
            raise ValidationError(_("Le nombre de parts va de 1 à 20, par quarts de part (ex. 2,5)."))
        return value


class CafInfoForm(RecordForm):
    class Meta:
        model = CafInfo
        fields = ["regime", "allocataire_number", "quotient", "quotient_valid_from"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocataire_number"].widget.attrs["inputmode"] = "numeric"
        self.fields["quotient"].max_value = 99999
        self.fields["quotient"].widget.attrs["max"] = 99999
        self.fields["quotient_valid_from"].validators.append(validate_not_future)

    def clean_allocataire_number(self):
        value = self.cleaned_data["allocataire_number"].replace(" ", "")
        if value and not value.isdigit():
            raise ValidationError(_("Le numéro d'allocataire ne contient que des chiffres."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("regime") == CafInfo.Regime.CAF and not data.get("allocataire_number"):
            if "allocataire_number" not in self.errors:
                self.add_error("allocataire_number", _("Le numéro d'allocataire CAF est nécessaire."))
        return data


class IBANKeptMixin:
    """A stored IBAN is never sent back to the browser: the field comes empty, with the masked IBAN in its
    help text, and an empty field keeps the stored one. Only a full new IBAN replaces it."""

    kept_iban_help = _("IBAN enregistré : %(masked)s. Laissez ce champ vide pour le conserver, "
                       "ou saisissez le nouvel IBAN complet.")
    new_iban_help = ""  # what a new IBAN entails, said after the masked IBAN

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["iban"] = ""
            self.fields["iban"].required = False
            self.fields["iban"].help_text = " ".join(
                str(text) for text in (self.kept_iban_help % {"masked": self.instance.masked_iban},
                                       self.new_iban_help) if text)

    def clean_iban(self):
        if self.instance.pk and not (self.cleaned_data.get("iban") or "").strip():
            stored = self.instance.iban
            try:
                self._bank_iban = IBAN(stored)
            except SchwiftyException:
                self._bank_iban = None
            return stored
        return super().clean_iban()


class _BankAccountFields(RecordForm):
    """IBAN and BIC checked by schwifty; the BIC found from the IBAN when left empty."""

    autocomplete = {"holder": "name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["iban"].widget.attrs.update(spellcheck="false", autocapitalize="characters", autocomplete="off")
        self.fields["iban"].max_length = 42  # spaces allowed while typing
        self.fields["iban"].widget.attrs["maxlength"] = 42
        self._bank_iban = None

    def clean_iban(self):
        raw = self.cleaned_data["iban"]
        try:
            iban = IBAN(raw)
        except SchwiftyException:
            raise ValidationError(
                _("Cet IBAN n'est pas valide : vérifiez les caractères saisis (clé de contrôle incorrecte)."),
                code="iban",
            ) from None
        self._bank_iban = iban
        return iban.compact

    def clean_bic(self):
        raw = self.cleaned_data["bic"].replace(" ", "").upper()
        if not raw:
            return raw
        try:
            return str(BIC(raw))
        except SchwiftyException:
            raise ValidationError(_("Ce BIC n'est pas valide (8 ou 11 caractères, ex. AGRIFRPP)."), code="bic") from None

    def clean(self):
        data = super().clean()
        if self._bank_iban is not None and not data.get("bic") and "bic" not in self.errors:
            bic = self._bank_iban.bic
            if bic is not None:
                data["bic"] = str(bic)
        return data


NEW_MANDATE_HELP = _("Un nouvel IBAN demande un nouveau mandat de prélèvement SEPA : la mairie vous le "
                     "fera signer avant le premier prélèvement sur ce compte.")


class BankAccountForm(IBANKeptMixin, _BankAccountFields):
    """The family's form: the SEPA mandate (reference, date) is the town hall's, set on the staff form."""

    new_iban_help = NEW_MANDATE_HELP

    class Meta:
        model = BankAccount
        fields = ["holder", "iban", "bic"]
        help_texts = {"iban": format_lazy("{} {}", _("27 caractères pour un compte français, par exemple "
                                                     "FR76 3000 6000 0112 3456 7890 189."), NEW_MANDATE_HELP)}


class StaffBankAccountForm(IBANKeptMixin, _BankAccountFields):
    """The staff form: the mandate too; the stored IBAN stays out of the page as on the family's side."""

    class Meta:
        model = BankAccount
        fields = ["holder", "iban", "bic", "mandate_reference", "mandate_signed_on"]
        help_texts = {"iban": _("27 caractères pour un compte français, par exemple FR76 3000 6000 0112 3456 7890 189.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mandate_signed_on"].validators.append(validate_not_future)


class ChildForm(RecordForm):
    autocomplete = {"last_name": "family-name", "first_name": "given-name"}

    class Meta:
        model = Child
        fields = [
            "last_name",
            "first_name",
            "birth_date",
            "sex",
            "school",
            "school_class",
            "diet",
            "photo_consent",
            "may_leave_alone",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_date"].validators.append(validate_plausible_birth_date)


class HealthRecordForm(RecordForm):
    phone_fields = ("doctor_phone",)

    class Meta:
        model = HealthRecord
        fields = ["doctor_name", "doctor_phone", "allergies", "has_pai", "pai_details", "treatments", "notes"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in ["allergies", "pai_details", "treatments", "notes"]}

    def clean(self):
        data = super().clean()
        if data.get("has_pai") and not (data.get("pai_details") or "").strip():
            self.add_error("pai_details", _("Décrivez le PAI (allergie, protocole, médicaments)."))
        return data


class VaccinationForm(RecordForm):
    class Meta:
        model = Vaccination
        fields = ["vaccine", "date"]

    def __init__(self, *args, child=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.child = child or getattr(self.instance, "child", None)
        self.fields["date"].validators.append(validate_not_future)

    def clean_date(self):
        date = self.cleaned_data["date"]
        if self.child is not None and date < self.child.birth_date:
            raise ValidationError(_("La date de vaccination est antérieure à la naissance de l'enfant."))
        return date


class AuthorizedPersonForm(RecordForm):
    phone_fields = ("phone", "phone2")
    autocomplete = {"last_name": "off", "first_name": "off"}

    class Meta:
        model = AuthorizedPerson
        fields = [
            "last_name",
            "first_name",
            "relation",
            "phone",
            "phone2",
            "can_pick_up",
            "is_emergency_contact",
            "is_forbidden",
        ]

    def clean(self):
        data = super().clean()
        if data.get("is_forbidden") and (data.get("can_pick_up") or data.get("is_emergency_contact")):
            self.add_error(
                "is_forbidden",
                _("Une personne interdite ne peut pas aussi être autorisée ou à prévenir : décochez l'un des choix."),
            )
        elif not (data.get("is_forbidden") or data.get("can_pick_up") or data.get("is_emergency_contact")):
            self.add_error("can_pick_up", _("Cochez au moins un rôle pour cette personne."))
        return data


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo de l'enfant"),
        help_text=_("JPEG, PNG ou WebP, 5 Mo au plus. Elle est recadrée et ses métadonnées sont supprimées."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, instance=None, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)

    def clean_photo(self):
        return clean_photo(self.cleaned_data["photo"])
