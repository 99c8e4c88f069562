"""Forms of the staff's side of messages: the inbox filters, assignment, a message to one household, a
broadcast with the schools and classes that exist (or an activity), and the administrators' topics and answer
templates."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enfance.accounts.models import User
from enfance.activities.models import Activity
from enfance.families.models import Child
from enfance.messaging.forms import AttachmentsField, BodyField, BroadcastForm, SubjectField
from enfance.messaging.models import AnswerTemplate, Thread, Topic

State = Thread.State
Origin = Thread.Origin

# Query-string values, in French: they show in the address bar and in shared links.
TO_DO, ALL = "a-traiter", "toutes"
ME, NOBODY = "moi", "personne"
NOT_DECISIONS = "hors-decisions"
TO_DO_STATES = (State.NEW, State.WAITING)


def staff_members():
    """Who may follow a conversation: agents and administrators with an open account (leaders never see them)."""
    return User.objects.filter(role__in=[User.Role.AGENT, User.Role.ADMIN], is_active=True).order_by(
        "last_name", "first_name", "username")


def staff_label(user):
    return user.get_full_name() or user.username


class InboxFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("État"), required=False)
    topic = forms.ModelChoiceField(label=_("Thème"), required=False, queryset=Topic.objects.all(),
                                   empty_label=_("Tous"))
    assigned = forms.ChoiceField(label=_("Suivie par"), required=False)
    origin = forms.ChoiceField(label=_("Origine"), required=False)
    q = forms.CharField(label=_("Rechercher (objet, texte, foyer)"), required=False, max_length=100,
                        widget=forms.SearchInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["state"].choices = [(TO_DO, _("À traiter (nouvelles et en attente)")), *State.choices,
                                        (ALL, _("Toutes"))]
        self.fields["origin"].choices = [(NOT_DECISIONS, _("Sauf les décisions sur les demandes")), *Origin.choices,
                                         (ALL, _("Toutes"))]
        self.fields["assigned"].choices = [("", _("Tout le monde")), (ME, _("Moi")), (NOBODY, _("Personne")),
                                           *[(str(u.pk), staff_label(u)) for u in staff_members()]]

    def filters(self):
        """{state, topic, assigned, origin, q} for message_queries.inbox(); a field typed wrong keeps its default
        (its error shows next to it) and the others still filter."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        assigned = data.get("assigned") or ""
        if assigned == ME:
            assigned = self.user.pk
        elif assigned not in ("", NOBODY):
            assigned = int(assigned)
        return {"state": data.get("state") or TO_DO, "topic": data.get("topic"), "assigned": assigned,
                "origin": data.get("origin") or NOT_DECISIONS, "q": (data.get("q") or "").strip()}


class AssignForm(forms.Form):
    to = forms.ChoiceField(label=_("Suivie par"), error_messages={
        "required": _("Choisissez qui suit la conversation."),
        "invalid_choice": _("Choisissez un membre du personnel de la liste.")})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.members = {str(u.pk): u for u in staff_members()}
        self.fields["to"].choices = [(ME, _("Moi")), (NOBODY, _("Personne")),
                                     *[(pk, staff_label(u)) for pk, u in self.members.items() if u.pk != user.pk]]

    def assignee(self):
        value = self.cleaned_data["to"]
        if value == ME:
            return self.user
        return None if value == NOBODY else self.members[value]


class HouseholdMessageForm(forms.Form):
    """A message from the commune to one household (a new conversation)."""

    subject = SubjectField(label=_("Objet"), max_length=150,
                           error_messages={"required": _("Indiquez l'objet du message.")})
    topic = forms.ModelChoiceField(label=_("Thème"), required=False, queryset=Topic.objects.none(),
                                   empty_label=_("(aucun)"),
                                   error_messages={"invalid_choice": _("Choisissez un thème de la liste.")})
    body = BodyField(label=_("Message au foyer"))
    files = AttachmentsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.filter(is_active=True)


def _known(field):
    """The distinct values of a child's field, whatever their case ("CE1" and "ce1" are one class)."""
    values = Child.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct().order_by(field)
    known = {}
    for value in values:
        known.setdefault(value.strip().casefold(), value.strip())
    return list(known.values())


class StaffBroadcastForm(BroadcastForm):
    """The broadcast form, its school and class typed with the ones the children's records name as suggestions."""

    SCHOOLS, CLASSES = "ecoles-connues", "classes-connues"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.filter(is_active=True)
        self.fields["topic"].empty_label = _("(aucun)")
        self.fields["school"].widget.attrs.update(list=self.SCHOOLS, autocomplete="off")
        self.fields["school_class"].widget.attrs.update(list=self.CLASSES, autocomplete="off")
        self.fields["school"].help_text = _("Pour « une école » ou « une classe » : le nom tel qu'il figure au "
                                            "dossier des enfants.")
        self.fields["body"].error_messages["required"] = _("Écrivez le message.")
        self.fields["subject"].error_messages["required"] = _("Indiquez l'objet du message.")
        self.fields["audience"].error_messages["required"] = _("Choisissez les destinataires.")
        activity = self.fields["activity"]
        activity.queryset = Activity.objects.order_by("name")
        activity.empty_label = _("(choisissez)")
        activity.help_text = _("Pour « une activité » : les foyers d'un enfant inscrit à cette activité (pour une "
                               "activité sans inscription, d'un enfant réservé à partir d'aujourd'hui), par "
                               "exemple pour annoncer une fermeture.")
        activity.error_messages["invalid_choice"] = _("Choisissez une activité de la liste.")

    def known_schools(self):
        return _known("school")

    def known_classes(self):
        return _known("school_class")


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "position", "is_active"]
        help_texts = {"position": _("Les thèmes sont proposés aux familles dans cet ordre (du plus petit au plus "
                                    "grand)."),
                      "is_active": _("Décochez pour ne plus le proposer : les conversations existantes le gardent.")}

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if Topic.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Ce thème existe déjà."))
        return name


class AnswerTemplateForm(forms.ModelForm):
    class Meta:
        model = AnswerTemplate
        fields = ["title", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
        help_texts = {"is_active": _("Décochez pour ne plus la proposer dans les réponses.")}
