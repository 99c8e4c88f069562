"""Forms of the billing pages: a régie and the activities it bills, a unit's tariff with its brackets (a
formset), a household's new quotient familial, an invoice run's period.

The forms put each French message next to the field it is about; the rules that need a lock (one régie per
activity, no two tariffs of a unit on one day) are checked again by enfance.billing.admin_services when saving.
Amounts are typed the French way ("3,20") or with a point; two decimals at most, never negative.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from enfance.activities.models import Activity
from enfance.billing import admin_services
from enfance.billing.models import CODE, Quotient, Regie, RegieActivity, Tariff
from enfance.billing.money import ZERO
from enfance.billing.words import long_date
from enfance.core.forms import DATE_INPUT_FORMATS, DATE_WIDGET, choices_once

MAX_BRACKETS = 20
MAX_QF = 100_000
MAX_PERCENT = 100
MAX_RUN_DAYS = 92


def money_field(label, *, required=True, help_text=""):
    """An amount in euros: "3,20" or "3.20", two decimals at most, zero or more."""
    return forms.DecimalField(
        label=label, required=required, help_text=help_text, max_digits=8, decimal_places=2, localize=True,
        min_value=ZERO, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 8}),
        error_messages={
            "invalid": _("Saisissez un montant en euros, par exemple 3,20."),
            "max_decimal_places": _("Deux chiffres après la virgule au plus."),
            "max_digits": _("Ce montant est trop grand."),
            "max_whole_digits": _("Ce montant est trop grand."),
            "min_value": _("Un montant ne peut pas être négatif."),
        })


def date_field(label, *, required=True, help_text=""):
    return forms.DateField(label=label, required=required, help_text=help_text, widget=DATE_WIDGET,
                           input_formats=DATE_INPUT_FORMATS)


# --- régies ----------------------------------------------------------------------------------------------

class ActivityChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.holders = {}  # {activity id: the other régie billing it}

    def label_from_instance(self, activity):
        holder = self.holders.get(activity.pk)
        if holder is not None:
            return _("%(activity)s (encaissée par la régie « %(regie)s »)") % {"activity": activity.name,
                                                                              "regie": holder.name}
        return activity.name


class CodeField(forms.CharField):
    """A régie's code, upper-cased before it is checked ("cant" is CANT)."""

    def to_python(self, value):
        return "".join(super().to_python(value).split()).upper()


class RegieForm(forms.ModelForm):
    code = CodeField(label=_("Code"), max_length=8, validators=[CODE])
    activities = ActivityChoiceField(
        label=_("Activités encaissées par cette régie"), required=False, queryset=Activity.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Une activité est encaissée par une seule régie : ses factures et ses règlements sont ceux de "
                    "cette régie."))

    class Meta:
        model = Regie
        fields = ["name", "code", "address", "hours", "payment_days", "transfer_iban", "transfer_bic"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "hours": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "code": _("De 1 à 8 lettres majuscules ou chiffres : il commence chaque numéro de facture "
                      "(CANT2026000042)."),
            "address": _("Imprimée sur les factures : où payer en espèces ou par chèque."),
            "hours": _("Imprimés sur les factures."),
            "payment_days": _("Les factures sont à payer dans ce délai après leur émission."),
            "transfer_iban": _("Imprimé sur les factures, pour les familles qui paient par virement (le compte de "
                               "dépôt de fonds au Trésor de la régie). Laissé vide, les factures ne proposent pas "
                               "le virement."),
            "transfer_bic": _("Trouvé à partir de l'IBAN quand il est laissé vide."),
        }

    def __init__(self, data=None, *, instance):
        super().__init__(data, instance=instance)
        field = self.fields["activities"]
        field.queryset = Activity.objects.order_by("name")
        field.holders = {link.activity_id: link.regie for link in RegieActivity.objects.select_related("regie")
                         if link.regie_id != instance.pk}
        choices_once(field)
        field.fieldset = True
        if instance.pk:
            self.initial["activities"] = [str(pk) for pk in RegieActivity.objects.filter(
                regie=instance).values_list("activity_id", flat=True)]
        self.fields["payment_days"].validators.append(MaxValueValidator(365))
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self._payment_fields(instance)
        self.code_locked = admin_services.has_issued(instance)
        if self.code_locked:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Des factures portent déjà ce code : il ne peut plus changer.")

    def _payment_fields(self, instance):
        from django.conf import settings

        from enfance.payments import config
        from enfance.payments.providers.signed import BACKENDS

        current = instance.payment_settings or {}
        choices = [("", _("Pas de paiement en ligne")), (config.PAYFIP, _("PayFiP (DGFiP)"))]
        choices += [(f"{config.EOPAYMENT}:{kind}", backend.label) for kind, backend in BACKENDS.items()]
        if settings.PAYMENT_SANDBOX:
            choices.append((config.SANDBOX, _("Banque de démonstration (jamais en production)")))
        provider = current.get("provider", "")
        if provider == config.EOPAYMENT:
            provider = f"{config.EOPAYMENT}:{current.get('backend', '')}"
        self.fields["pay_provider"] = forms.ChoiceField(
            label=_("Banque du paiement en ligne"), choices=choices, required=False,
            initial=provider,
            help_text=_("Seuls les réglages de la banque choisie comptent. Sans banque, le lien vers la page de "
                        "paiement de la commune remplace le bouton de paiement sur le portail."))
        self.fields["pay_numcli"] = forms.CharField(
            label=_("Numéro client PayFiP"), required=False, max_length=6, initial=current.get("numcli", ""),
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8}),
            help_text=_("Les 6 chiffres donnés par la DGFiP à l'adhésion de la régie."))
        self.fields["pay_saisie"] = forms.ChoiceField(
            label=_("Mode PayFiP"), required=False, initial=current.get("saisie", "T"),
            choices=[("T", _("Test")), ("X", _("Activation")), ("W", _("Production"))])
        self.fields["pay_options"] = forms.CharField(
            label=_("Paramètres de la banque"), required=False, max_length=4000,
            widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off",
                                         "autocapitalize": "off", "class": "bank-options"}),
            initial=config.options_text(current) if current.get("provider") == config.EOPAYMENT else "",
            help_text=_("Une ligne par paramètre donné par la banque : « nom = valeur » ou « nom : valeur » "
                        "(par exemple « vads_site_id = 12345678 »). Les secrets déjà enregistrés s'affichent "
                        "%(mask)s : laissez-les ainsi pour les garder. Les paramètres de chaque banque sont "
                        "décrits sous ce champ.") % {"mask": config.MASK})
        self.fields["pay_link"] = forms.URLField(
            label=_("Page de paiement de la commune"), required=False, max_length=500,
            initial=current.get("link", ""), assume_scheme="https",
            widget=forms.URLInput(attrs={"autocomplete": "url"}),
            error_messages={"invalid": _("Saisissez une adresse web complète, par exemple "
                                         "https://www.ville.fr/payer.")},
            help_text=_("Tant que la régie n'a pas de paiement en ligne : l'adresse de la page où les familles "
                        "paient."))
        # The digest of the payment settings this page is built from: the save refuses when the régie's are no
        # longer those (another administrator saved meanwhile), and masked secrets are filled only from them.
        self.fields["pay_fingerprint"] = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput,
                                                         initial=config.fingerprint(current))
        self.built_from = config.fingerprint(current)
        self.banks = [{"kind": kind, "value": f"{config.EOPAYMENT}:{kind}", "label": backend.short_label,
                       "rows": config.parameter_table(kind)} for kind, backend in BACKENDS.items()]
        self.signed_values = " ".join(bank["value"] for bank in self.banks)

    def general_fields(self):
        """The régie's own fields (the payment settings are shown apart, bank by bank)."""
        return [field for field in self.visible_fields() if not field.name.startswith("pay_")]

    def _clean_payment_settings(self):
        from enfance.payments import config

        cleaned = super().clean()
        provider, _sep, backend = (cleaned.get("pay_provider") or "").partition(":")
        stored = self.instance.payment_settings or {}
        seen = (cleaned.get("pay_fingerprint") or "").strip()
        if seen and seen != self.built_from:
            # The page was built from other settings than the régie's now: its masked secrets are not these.
            self.add_error(None, admin_services.SETTINGS_CHANGED_MEANWHILE)
            return cleaned
        try:
            typed = config.parse_options_text(cleaned.get("pay_options")) if provider == config.EOPAYMENT else {}
            if not seen and config.MASK in typed.values():
                # Without the page's fingerprint nobody knows which settings its masked secrets were: never the
                # régie's now, which may be another administrator's.
                self.add_error(None, _("Les secrets masqués (%(mask)s) ne se reprennent que depuis la page de la "
                                       "régie : rechargez la page, puis enregistrez de nouveau.")
                               % {"mask": config.MASK})
                return cleaned
            cleaned["payment_settings"] = config.clean({
                "provider": provider, "backend": backend, "numcli": cleaned.get("pay_numcli"),
                "saisie": cleaned.get("pay_saisie"), "link": cleaned.get("pay_link"),
                "options": typed,
                # A secret sent back masked is the stored one, also when staff move SystemPay to PayZen.
                "stored": (stored.get("options") or {}) if stored.get("provider") == config.EOPAYMENT else {}})
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error({"provider": "pay_provider", "backend": "pay_provider", "numcli": "pay_numcli",
                                "saisie": "pay_saisie", "options": "pay_options"}.get(field, None), messages)
        return cleaned

    def clean_transfer_iban(self):
        raw = "".join((self.cleaned_data.get("transfer_iban") or "").split()).upper()
        if not raw:
            return ""
        try:
            return IBAN(raw).compact
        except SchwiftyException:
            raise ValidationError(_("Cet IBAN n'est pas valide : vérifiez les caractères saisis (clé de contrôle "
                                    "incorrecte)."), code="iban") from None

    def clean(self):
        cleaned = self._clean_payment_settings()
        iban = cleaned.get("transfer_iban")
        bic = "".join((cleaned.get("transfer_bic") or "").split()).upper()
        if bic:
            try:
                bic = str(BIC(bic))
            except SchwiftyException:
                self.add_error("transfer_bic", _("Ce BIC n'est pas valide : 8 ou 11 lettres et chiffres, par exemple "
                                                 "TRPUFRP1."))
        elif iban:
            found = IBAN(iban).bic
            bic = str(found) if found else ""
        if bic and not iban and "transfer_iban" not in self.errors:
            self.add_error("transfer_iban", _("Saisissez l'IBAN du compte de ce BIC, ou effacez le BIC."))
        cleaned["transfer_bic"] = bic
        return cleaned

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if Regie.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Une autre régie porte déjà ce nom."))
        return name

    def clean_code(self):
        code = self.cleaned_data["code"]
        if Regie.objects.filter(code=code).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Une autre régie a déjà ce code."))
        return code

    def clean_activities(self):
        chosen = list(self.cleaned_data["activities"])
        holders = self.fields["activities"].holders
        taken = {a.pk: holders[a.pk] for a in chosen if a.pk in holders}
        if taken:
            raise ValidationError(admin_services.taken_message(taken, chosen))
        return chosen

    def values(self):
        values = {name: self.cleaned_data[name] for name in self._meta.fields}
        if "payment_settings" in self.cleaned_data:
            values["payment_settings"] = self.cleaned_data["payment_settings"]
            # Compared under the régie's row lock (admin_services.save_regie): the page's, else this form's read.
            values["payment_fingerprint"] = (self.cleaned_data.get("pay_fingerprint") or "").strip() or self.built_from
        return values

    def validate_unique(self):
        pass  # clean_name and clean_code say it in French; the database constraint stays the last word


# --- online payments -------------------------------------------------------------------------------------

class ReconcileForm(forms.Form):
    """Staff's decision about an online payment attempt (enfance.payments.attempts.reconcile), with its reason.
    Only the decisions offered now (attempts.decisions) are shown; another one posted is the service's to refuse
    with its own words (asking a bank that cannot be asked, a payment that is no longer open)."""

    DECISIONS = ("check", "record", "close", "dismiss")

    decision = forms.ChoiceField(
        label=_("Décision"), widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez une décision."),
                        "invalid_choice": _("Cette décision n'existe pas : choisissez-en une de la liste.")})
    note = forms.CharField(
        label=_("Motif"), max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Par exemple : « vu sur le relevé de la banque », « la famille a payé par chèque »."),
        error_messages={"required": _("Indiquez le motif de votre décision : il est noté dans l'historique."),
                        "max_length": _("Le motif tient en 300 caractères au plus.")})

    def __init__(self, data=None, *, offered):
        super().__init__(data)
        field = self.fields["decision"]
        field.choices = [(name, name) for name in self.DECISIONS]
        field.widget.choices = list(offered)  # the radios shown; validation knows every decision
        if offered and offered[0][0] == "check":
            self.initial["decision"] = "check"  # asking again is harmless; closing is never chosen for staff


# --- tariffs ---------------------------------------------------------------------------------------------

class TariffForm(forms.ModelForm):
    valid_from = date_field(_("Premier jour"))
    valid_until = date_field(_("Dernier jour"), required=False,
                             help_text=_("Vide : sans fin, jusqu'au tarif suivant."))
    outside_price = money_field(_("Prix hors commune (€)"), required=False,
                                help_text=_("Payé par les foyers domiciliés hors de la commune, quel que soit leur "
                                            "quotient. Vide : les tranches s'appliquent à eux aussi."))
    late_value = money_field(_("Montant (€) ou pourcentage (%) de la majoration tardive"), required=False)
    unbooked_value = money_field(_("Montant (€) ou pourcentage (%) de la majoration sans réservation"),
                                 required=False)

    class Meta:
        model = Tariff
        fields = ["valid_from", "valid_until", "outside_price", "late_kind", "late_value", "unbooked_kind",
                  "unbooked_value", "cesu"]
        labels = {"late_kind": _("Type de majoration d'une réservation tardive"),
                  "unbooked_kind": _("Type de majoration d'une présence sans réservation")}
        help_texts = {"late_kind": _("Ajoutée au prix de chaque réservation prise après le délai de réservation. "
                                     "Aucune : la majoration de l'activité s'applique, s'il y en a une."),
                      "unbooked_kind": _("Ajoutée au prix d'un enfant pointé présent sans réservation.")}

    def __init__(self, data=None, *, instance, unit):
        super().__init__(data, instance=instance)
        self.unit = unit
        self.overlaps = []  # the unit's tariffs these dates overlap: the page links to them
        self.instance.unit = unit
        for name in ("late_kind", "unbooked_kind"):
            self.fields[name].required = False
        for kind, value in (("late_kind", "late_value"), ("unbooked_kind", "unbooked_value")):
            if not getattr(instance, kind):
                self.initial[value] = None  # no surcharge: an empty field, not "0,00"

    def clean(self):
        data = super().clean()
        first, last = data.get("valid_from"), data.get("valid_until")
        if first and last and last < first:
            self.add_error("valid_until", _("Le dernier jour est avant le premier."))
        elif first and "valid_from" not in self.errors:
            others = admin_services.overlapping(self.unit, first, last, exclude=self.instance)
            if others:
                self.overlaps = others
                self.add_error("valid_from", admin_services.overlap_message(others, first, last))
        for kind_name, value_name in (("late_kind", "late_value"), ("unbooked_kind", "unbooked_value")):
            if value_name in self.errors:
                continue
            kind, value = data.get(kind_name) or "", data.get(value_name)
            if not kind:
                if value:
                    self.add_error(value_name, _("Choisissez d'abord le type de majoration, ou effacez ce champ."))
                data[value_name] = ZERO
            elif not value:
                self.add_error(value_name, _("Indiquez le montant ou le pourcentage de la majoration."))
            elif kind == Tariff.Surcharge.PERCENT and value > MAX_PERCENT:
                self.add_error(value_name, _("Un pourcentage de %(n)s au plus.") % {"n": MAX_PERCENT})
            data[kind_name] = kind
        return data

    def values(self):
        return {name: self.cleaned_data[name] for name in admin_services.TARIFF_FIELDS}


class BracketForm(forms.Form):
    """One QF bracket; a row whose three fields are empty is no bracket (empty it to remove one)."""

    label = forms.CharField(label=_("Nom de la tranche"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"size": 12}))
    qf_max = forms.IntegerField(label=_("QF jusqu'à (inclus)"), required=False, min_value=0, max_value=MAX_QF,
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 7}),
                                error_messages={"invalid": _("Saisissez un nombre entier, sans espace.")})
    price = money_field(_("Prix unitaire (€)"), required=False)

    def is_blank(self):
        data = getattr(self, "cleaned_data", {})
        names = ("label", "qf_max", "price")
        return not any(name in self.errors for name in names) and all(
            data.get(name) in (None, "") for name in names)

    def clean(self):
        data = super().clean()
        label = (data.get("label") or "").strip()
        data["label"] = label
        filled = label or data.get("qf_max") is not None or data.get("price") is not None
        if filled or any(name in self.errors for name in ("qf_max", "price")):
            if not label and "label" not in self.errors:
                self.add_error("label", _("Donnez un nom à la tranche (par exemple « Tranche 1 »)."))
            if data.get("price") is None and "price" not in self.errors:
                self.add_error("price", _("Indiquez le prix de la tranche."))
        return data


class BaseBracketFormSet(forms.BaseFormSet):
    """The brackets from the lowest QF: increasing bounds, the last one (only) without a bound."""

    def clean(self):
        if any(self.errors):
            return
        rows = [(form, form.cleaned_data["label"], form.cleaned_data["qf_max"])
                for form in self.forms if not form.is_blank()]
        if not rows:
            raise ValidationError(_("Indiquez au moins une tranche : un tarif unique est une seule tranche sans "
                                    "plafond."))
        previous, seen = None, set()
        for i, (form, label, qf_max) in enumerate(rows):
            if label.casefold() in seen:
                form.add_error("label", _("Deux tranches portent ce nom."))
            seen.add(label.casefold())
            if i == len(rows) - 1:
                if qf_max is not None:
                    form.add_error("qf_max", _("Laissez vide le plafond de la dernière tranche : elle vaut au-delà "
                                               "de la précédente, et pour les foyers sans quotient connu."))
            elif qf_max is None:
                form.add_error("qf_max", _("Seule la dernière tranche est sans plafond : indiquez le QF jusqu'auquel "
                                           "celle-ci s'applique."))
            elif previous is not None and qf_max <= previous:
                form.add_error("qf_max", _("Les tranches vont en QF croissant : indiquez plus de %(qf)s.")
                               % {"qf": previous})
            else:
                previous = qf_max
        if any(self.errors):
            raise ValidationError(_("Vérifiez les tranches signalées."))

    def brackets(self):
        """[(label, qf_max, price)] of the filled rows, in order."""
        return [(f.cleaned_data["label"], f.cleaned_data["qf_max"], f.cleaned_data["price"])
                for f in self.forms if not f.is_blank()]


BracketFormSet = forms.formset_factory(BracketForm, formset=BaseBracketFormSet, extra=0, max_num=MAX_BRACKETS,
                                       validate_max=True, absolute_max=MAX_BRACKETS)


def bracket_formset(data=None, *, tariff=None):
    """The brackets of `tariff` (none: a new tariff), with empty rows to add more (no JavaScript needed)."""
    initial = [{"label": b.label, "qf_max": b.qf_max, "price": b.price} for b in tariff.brackets.all()] \
        if tariff is not None and tariff.pk else []
    if not initial:
        initial = [{"label": _("Tranche 1")}]
    rows = min(MAX_BRACKETS, max(len(initial) + 3, 5))
    initial += [{}] * (rows - len(initial))
    formset = BracketFormSet(data, initial=initial, prefix="tranches")
    return formset


# --- the quotient familial ------------------------------------------------------------------------------

class QuotientForm(forms.Form):
    value = forms.IntegerField(label=_("Quotient familial"), min_value=0, max_value=MAX_QF,
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 7}),
                               error_messages={"invalid": _("Saisissez un nombre entier, sans espace.")})
    source = forms.ChoiceField(label=_("Origine"), choices=Quotient.Source.choices, widget=forms.RadioSelect)
    valid_from = date_field(_("Valable à partir du"), required=False)

    def __init__(self, data=None, *, earliest, prefix="qf"):
        super().__init__(data, prefix=prefix, initial={"valid_from": earliest})
        self.earliest = earliest
        self.fields["source"].fieldset = True
        self.fields["valid_from"].help_text = _(
            "Au plus tôt le %(day)s : les jours déjà facturés gardent leur prix. Vide : ce jour-là.") % {
            "day": earliest.strftime("%d/%m/%Y")}


# --- invoice runs ---------------------------------------------------------------------------------------

def previous_month(today=None):
    today = today or timezone.localdate()
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return last.replace(day=1), last


class RunForm(forms.Form):
    regie = forms.ModelChoiceField(label=_("Régie"), queryset=Regie.objects.none(), empty_label=None)
    first_day = date_field(_("Premier jour facturé"))
    last_day = date_field(_("Dernier jour facturé"), help_text=_("Trois mois au plus."))

    def __init__(self, data=None, *, regie=None, today=None):
        """The period proposed: the first month `regie` has not issued yet (admin_services.proposed_period)."""
        first, last = admin_services.proposed_period(regie, today) if regie is not None else previous_month(today)
        super().__init__(data, initial={"first_day": first, "last_day": last, "regie": regie})
        regies = list(Regie.objects.order_by("name"))
        self.fields["regie"].queryset = Regie.objects.order_by("name")
        choices_once(self.fields["regie"])
        issued = admin_services.last_issued_days(regies)
        if issued:
            self.fields["regie"].help_text = _("Déjà facturé : %(list)s.") % {"list": " ; ".join(
                _("%(regie)s jusqu'au %(day)s") % {"regie": r.name, "day": long_date(issued[r.pk])}
                if r.pk in issued else _("%(regie)s : aucune facturation émise") % {"regie": r.name}
                for r in regies)}

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", _("Le dernier jour est avant le premier."))
            elif (last - first).days > MAX_RUN_DAYS:
                self.add_error("last_day", _("Facturez trois mois au plus à la fois."))
        regie = data.get("regie")
        if regie is not None and regie.runs.filter(state__in=admin_services.OPEN).exists():
            self.add_error("regie", _("Une facturation de cette régie est déjà en cours : émettez-la ou "
                                      "abandonnez-la d'abord."))
        return data


class DraftSearchForm(forms.Form):
    q = forms.CharField(label=_("Numéro de dossier du foyer"), required=False, max_length=20)

