from django import forms
from django.utils.translation import gettext_lazy as _

from enfance.families import categories

from .models import ChangeRequest

AGE_CHOICES = [("", _("Toutes")), ("2", _("Plus de 2 jours")), ("7", _("Plus de 7 jours")),
               ("30", _("Plus de 30 jours"))]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("État"), required=False,
                               choices=[("", _("Tous"))] + list(ChangeRequest.Status.choices))
    category = forms.ChoiceField(label=_("Catégorie"), required=False,
                                 choices=[("", _("Toutes"))] + [(c.key, c.label) for c in categories.CATEGORIES])
    family = forms.CharField(label=_("Foyer (nom ou n° de dossier)"), required=False, max_length=80)
    age = forms.ChoiceField(label=_("Ancienneté"), required=False, choices=AGE_CHOICES)


class ApproveForm(forms.Form):
    comment = forms.CharField(label=_("Commentaire pour la famille (facultatif)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("Je confirme l'application malgré les changements survenus depuis la demande"),
                                 required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus (envoyé à la famille)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Le motif du refus est obligatoire.")})
