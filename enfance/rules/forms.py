from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enfance.core.dates import today
from enfance.core.forms import DATE_INPUT_FORMATS, DATE_WIDGET
from enfance.core.validators import validate_not_future

from .models import ServiceRules

PDF_MAX_BYTES = 10 * 1024 * 1024


class ServiceRulesForm(forms.ModelForm):
    class Meta:
        model = ServiceRules
        fields = ["school_year", "title", "text", "pdf"]
        widgets = {"text": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pdf"].widget.attrs["accept"] = "application/pdf"

    def clean_school_year(self):
        year = self.cleaned_data["school_year"]
        if not 2000 <= year <= today().year + 1:
            raise ValidationError(_("Indiquez l'année de la rentrée, entre 2000 et %(y)s.") % {"y": today().year + 1})
        return year

    def clean_pdf(self):
        pdf = self.cleaned_data.get("pdf")
        if pdf and hasattr(pdf, "read") and getattr(pdf, "size", 0):
            if pdf.size > PDF_MAX_BYTES:
                raise ValidationError(_("Le PDF dépasse 10 Mo."))
            head = pdf.read(5)
            pdf.seek(0)
            if head != b"%PDF-":
                raise ValidationError(_("Ce fichier n'est pas un PDF."))
        return pdf


class AcknowledgeForm(forms.Form):
    accept = forms.BooleanField(
        label=_("J'ai lu les conditions de fonctionnement et je les accepte"),
        error_messages={"required": _("Cochez la case pour confirmer que vous avez lu les conditions.")},
    )


class SignedCopyForm(forms.Form):
    family = forms.IntegerField(widget=forms.HiddenInput)
    received_on = forms.DateField(label=_("Exemplaire signé reçu le"), widget=DATE_WIDGET,
                                  input_formats=DATE_INPUT_FORMATS, validators=[validate_not_future])


