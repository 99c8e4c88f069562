"""Forms of the conversations: a new message to the commune, a reply, the staff's reply, a broadcast."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enfance.core import attachments
from enfance.core.forms import choices_once

from .models import AnswerTemplate, Broadcast, Topic
from .services import ATTACHMENTS, MAX_ATTACHMENTS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to 3 files (PDF, JPEG, PNG; 5 MB each), each checked by its content: cleans to a list of CleanFile."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Pièces jointes (facultatif)"))
        kwargs.setdefault("help_text", _("Jusqu'à %(n)d fichiers PDF, JPEG ou PNG, 5 Mo chacun.") % {"n": MAX_ATTACHMENTS})
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ATTACHMENTS.accept

    def clean(self, data, initial=None):
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not uploads:
            return []
        if len(uploads) > MAX_ATTACHMENTS:
            raise ValidationError(_("Joignez au plus %(n)d fichiers.") % {"n": MAX_ATTACHMENTS})
        cleaned, errors = [], []
        for upload in uploads:
            try:
                cleaned.append(attachments.clean(upload, ATTACHMENTS))
            except ValidationError as error:
                errors.append(_("%(name)s : %(error)s") % {"name": getattr(upload, "name", "?"),
                                                           "error": " ".join(error.messages)})
        if errors:
            errors.append(_("Choisissez à nouveau les fichiers : les navigateurs ne les gardent pas."))
            raise ValidationError(errors)
        return cleaned


class BodyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Votre message"))
        kwargs.setdefault("max_length", 5000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6}))
        kwargs.setdefault("error_messages", {"required": _("Écrivez votre message.")})
        super().__init__(**kwargs)


class SubjectField(forms.CharField):
    """One line: a pasted line break would split the e-mail's subject from the rest."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


class SaysFilesAreNotKept:
    """A form with attachments that is not sent: the files chosen are not kept (no browser sends them back), so
    the field says to choose them again."""

    def full_clean(self):
        super().full_clean()
        chosen = self.is_bound and self.files and self.files.getlist(self.add_prefix("files"))
        if self._errors and chosen and "files" not in self._errors:
            self.add_error("files", _("Vos fichiers ne sont pas conservés tant que le message n'est pas envoyé : "
                                      "choisissez-les de nouveau."))


class NewThreadForm(SaysFilesAreNotKept, forms.Form):
    topic = forms.ModelChoiceField(label=_("Thème"), queryset=Topic.objects.none(), empty_label=None,
                                   error_messages={"required": _("Choisissez un thème."),
                                                   "invalid_choice": _("Choisissez un thème de la liste.")})
    subject = SubjectField(label=_("Objet"), max_length=150,
                           error_messages={"required": _("Indiquez l'objet de votre message.")})
    body = BodyField()
    files = AttachmentsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.filter(is_active=True)
        choices_once(self.fields["topic"])


class ReplyForm(SaysFilesAreNotKept, forms.Form):
    body = BodyField(label=_("Votre réponse"))
    files = AttachmentsField()


class StaffReplyForm(SaysFilesAreNotKept, forms.Form):
    template = forms.ModelChoiceField(label=_("Réponse type (facultatif)"), required=False,
                                      queryset=AnswerTemplate.objects.none(), empty_label=_("(aucune)"),
                                      help_text=_("Choisissez une réponse type puis « Insérer la réponse type » : son texte "
                                                  "s'ajoute à votre réponse, que vous pouvez encore modifier."))
    body = BodyField(label=_("Réponse à la famille"), required=False)
    internal = forms.BooleanField(label=_("Note interne (jamais visible par la famille)"), required=False)
    files = AttachmentsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = AnswerTemplate.objects.filter(is_active=True)
        choices_once(self.fields["template"])

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and "body" not in self.errors:
            self.add_error("body", _("Écrivez la réponse (ou choisissez une réponse type puis insérez-la)."))
        return data


class BroadcastForm(forms.ModelForm):
    class Meta:
        model = Broadcast
        fields = ["audience", "school", "school_class", "activity", "topic", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8}), "audience": forms.RadioSelect}
        field_classes = {"subject": SubjectField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Radio buttons: no blank "---------" choice, nothing ticked until staff choose.
        self.fields["audience"].choices = Broadcast.Audience.choices

    def full_clean(self):
        super().full_clean()
        if "audience" in self._errors:
            # The radios themselves point at the error: a fieldset's aria-describedby is often not read.
            self.fields["audience"].widget.attrs.update({"aria-describedby": f"{self['audience'].auto_id}_error",
                                                         "aria-invalid": "true"})

    def clean(self):
        data = super().clean()
        audience = data.get("audience")
        if audience in (Broadcast.Audience.SCHOOL, Broadcast.Audience.CLASS) and not data.get("school", "").strip():
            self.add_error("school", _("Indiquez l'école."))
        if audience == Broadcast.Audience.CLASS and not data.get("school_class", "").strip():
            self.add_error("school_class", _("Indiquez la classe."))
        if audience == Broadcast.Audience.ACTIVITY and not data.get("activity") and "activity" not in self._errors:
            self.add_error("activity", _("Choisissez l'activité."))
        if audience == Broadcast.Audience.ACTIVITY:
            data["school"] = data["school_class"] = ""  # typed, then the activity ticked: not kept
        else:
            data["activity"] = None  # chosen, then another audience ticked: not kept
        return data


class PreferencesForm(forms.Form):
    """One box per notification kind: receive it by e-mail."""

    def __init__(self, *args, kinds, current, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[kind.key] = forms.BooleanField(label=kind.label, help_text=kind.help_text, required=False,
                                                       initial=current.get(kind.key, kind.default))
