"""Forms of the staff's payments pages: a payment received at the desk, its reversal, the filters of the balances
and overdue lists.

Each French message sits next to the field it is about. The rules that need the household's lock (an invoice
still open for the household, CESU never paying meals, the allocation) are enfance.billing.payments'; the form
only refuses what can be seen without it. Amounts are typed the French way ("30,50") or with a point.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.billing.models import Payment
from enfance.billing.money import euros
from enfance.core.forms import DATE_INPUT_FORMATS, DATE_WIDGET

# What staff record at the desk; card payments come from the online payment, direct debits from their file.
DESK_MEANS = [Payment.Means.CHEQUE, Payment.Means.CASH, Payment.Means.CESU, Payment.Means.TRANSFER]
OLDEST_RECEIPT = datetime.timedelta(days=3 * 366)  # a payment received longer ago is a typing mistake


class PaymentForm(forms.Form):
    regie = forms.TypedChoiceField(label=gettext_lazy("Régie"), coerce=int, empty_value=None)
    means = forms.ChoiceField(label=gettext_lazy("Moyen de paiement"), widget=forms.RadioSelect,
                              choices=[(m.value, m.label) for m in DESK_MEANS],
                              help_text=gettext_lazy("Les CESU ne paient que l'accueil des enfants, jamais les "
                                                     "repas de la cantine."))
    amount = forms.DecimalField(
        label=gettext_lazy("Montant reçu (€)"), max_digits=8, decimal_places=2, localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10}),
        error_messages={
            "invalid": gettext_lazy("Saisissez un montant en euros, par exemple 30,50."),
            "max_decimal_places": gettext_lazy("Deux chiffres après la virgule au plus."),
            "max_digits": gettext_lazy("Ce montant est trop grand."),
            "max_whole_digits": gettext_lazy("Ce montant est trop grand."),
        })
    received_on = forms.DateField(label=gettext_lazy("Reçu le"), widget=DATE_WIDGET, input_formats=DATE_INPUT_FORMATS)
    reference = forms.CharField(
        label=gettext_lazy("Référence"), max_length=80, required=False,
        help_text=gettext_lazy("Le numéro du chèque (obligatoire pour un chèque), du CESU ou du virement."))
    invoices = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Factures à régler"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Dans l'ordre de la liste. Sans choix, le règlement va aux factures les plus "
                               "anciennes ; ce qui dépasse reste un crédit sur le compte du foyer."))

    def __init__(self, *args, regies, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.regies = {regie.pk: regie for regie in regies}
        self.open_invoices = {invoice.pk: invoice for invoice in invoices}
        self.fields["regie"].choices = [("", _("Choisir la régie"))] + [(r.pk, r.name) for r in regies]
        if len(regies) == 1:
            self.fields["regie"].choices = [(regies[0].pk, regies[0].name)]
        self.fields["invoices"].choices = [(i.pk, self.invoice_label(i, len(regies) > 1)) for i in invoices]
        self.fields["received_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    @staticmethod
    def invoice_label(invoice, with_regie):
        label = _("n° %(number)s du %(issued)s : reste %(left)s sur %(total)s") % {
            "number": invoice.number, "issued": timezone.localdate(invoice.issued_at).strftime("%d/%m/%Y"),
            "left": euros(invoice.left), "total": euros(invoice.total)}
        if invoice.due_on is not None:
            label += " " + _("(à payer avant le %(due)s)") % {"due": invoice.due_on.strftime("%d/%m/%Y")}
        return f"{invoice.regie.name}, {label}" if with_regie else label

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise ValidationError(_("Le montant doit être positif."))
        return amount

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        today = timezone.localdate()
        if day > today:
            raise ValidationError(_("La date de réception ne peut pas être dans le futur."))
        if day < today - OLDEST_RECEIPT:
            raise ValidationError(_("Cette date est trop ancienne : vérifiez l'année."))
        return day

    def clean(self):
        data = super().clean()
        if data.get("means") == Payment.Means.CHEQUE and not data.get("reference", "").strip():
            self.add_error("reference", _("Indiquez le numéro du chèque."))
        regie_id = data.get("regie")
        if regie_id is not None and regie_id not in self.regies:
            self.add_error("regie", _("Choisissez une régie de la liste."))
        elif regie_id is not None:
            others = [self.open_invoices[pk].number for pk in data.get("invoices") or []
                      if self.open_invoices[pk].regie_id != regie_id]
            if others:
                self.add_error("invoices", _("Ces factures ne sont pas de la régie choisie : %(numbers)s.")
                               % {"numbers": ", ".join(others)})
        return data

    @property
    def chosen_regie(self):
        return self.regies[self.cleaned_data["regie"]]


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif de l'annulation"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Par exemple : chèque sans provision, règlement saisi sur le mauvais foyer. "
                               "Il est gardé avec l'annulation."),
        error_messages={"required": gettext_lazy("Indiquez le motif de l'annulation.")})

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Indiquez le motif de l'annulation."))
        return reason


class BalanceFilterForm(forms.Form):
    regie = forms.TypedChoiceField(label=gettext_lazy("Régie"), coerce=int, empty_value=None, required=False)
    sign = forms.ChoiceField(label=gettext_lazy("Soldes"), required=False, choices=[
        ("", gettext_lazy("Tous les soldes non nuls")), ("owed", gettext_lazy("Les foyers qui doivent")),
        ("credit", gettext_lazy("Les foyers en crédit"))])
    order = forms.ChoiceField(label=gettext_lazy("Trier par"), required=False, choices=[
        ("owed", gettext_lazy("Montant dû, le plus grand d'abord")),
        ("credit", gettext_lazy("Crédit, le plus grand d'abord")),
        ("reference", gettext_lazy("N° de dossier"))])

    def __init__(self, *args, regies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regie"].choices = [("", _("Toutes les régies"))] + [(r.pk, r.name) for r in regies]


class OverdueFilterForm(forms.Form):
    regie = forms.TypedChoiceField(label=gettext_lazy("Régie"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, regies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regie"].choices = [("", _("Toutes les régies"))] + [(r.pk, r.name) for r in regies]
