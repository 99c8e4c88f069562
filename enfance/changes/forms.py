from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enfance.core import attachments

from . import registry
from .models import ChangeRequest

AGE_CHOICES = [("", _("Toutes")), ("2", _("Plus de 2 jours")), ("7", _("Plus de 7 jours")),
               ("30", _("Plus de 30 jours"))]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("État"), required=False,
                               choices=[("", _("Tous"))] + list(ChangeRequest.Status.choices))
    request_type = forms.ChoiceField(label=_("Type de demande"), required=False)
    family = forms.CharField(label=_("Foyer (nom ou n° de dossier)"), required=False, max_length=80)
    age = forms.ChoiceField(label=_("Ancienneté"), required=False, choices=AGE_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request_type"].choices = [("", _("Tous"))] + registry.choices()


class ApproveForm(forms.Form):
    comment = forms.CharField(label=_("Commentaire pour la famille (facultatif)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("Je confirme l'application malgré les changements survenus depuis la demande"),
                                 required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus (envoyé à la famille)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Le motif du refus est obligatoire.")})


class AttachmentForm(forms.Form):
    """The file a request type takes (its AttachmentRule), checked by content; cleaned to a CleanFile."""

    document = forms.FileField(required=False)

    def __init__(self, *args, rule, **kwargs):
        self.rule = rule
        super().__init__(*args, **kwargs)
        field = self.fields["document"]
        field.required = rule.required
        field.label = rule.label or rule.policy.label
        field.help_text = rule.help_text or rule.policy.help_text
        field.widget.attrs["accept"] = rule.policy.accept
        field.error_messages["required"] = _("Choisissez un fichier.")

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        try:
            return attachments.clean(upload, self.rule.policy)
        except ValidationError as error:
            raise ValidationError(
                [*error.messages, _("Choisissez à nouveau le fichier : les navigateurs ne le gardent pas.")]
            ) from None

    def uploads(self):
        return [self.cleaned_data["document"]] if self.cleaned_data.get("document") else []
