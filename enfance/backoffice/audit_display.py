"""The audit trail as staff read it: objects and people named in French, IBAN masked, health values kept
off general pages, fiscal, C.A.F. and bank values kept from activity leaders."""

from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.accounts.models import User
from enfance.core.audit import field_labels
from enfance.core.db import fold
from enfance.core.fields import mask_iban
from enfance.core.models import AuditEntry

# Object types that are no model name, or whose model has no French name of its own.
OBJECT_LABELS = {
    "login": gettext_lazy("identifiant"),
    "conditions": gettext_lazy("exemplaire signé des conditions de fonctionnement"),
    "signedcopy": gettext_lazy("exemplaire signé des conditions de fonctionnement"),
    "acknowledgement": gettext_lazy("acceptation des conditions de fonctionnement"),
    "categorysetting": gettext_lazy("réglages des demandes"),
}
FIELD_MODELS = {"login": User}
EXTRA_LABELS = {"is_active": gettext_lazy("identifiant ouvert"), "foyer": gettext_lazy("foyer")}
SENSITIVE = {"healthrecord", "vaccination"}
# Never shown to activity leaders: fiscal, C.A.F. and bank data, and money (payments, reminders).
FINANCIAL = {"taxinfo", "cafinfo", "bankaccount", "payment", "reminder", "quotient"}
MASKED = {"iban": mask_iban}
ROLES = {User.Role.ADMIN: gettext_lazy("administrateur"), User.Role.AGENT: gettext_lazy("agent"),
         User.Role.LEADER: gettext_lazy("animateur")}
# What lines() reads of each entry, for the querysets that feed it (no query per line).
RELATED = ("actor", "actor__guardian", "actor__family", "family")


@dataclass
class Line:
    entry: AuditEntry
    object_label: str
    object_text: str  # the object as the line names it: "Demande n° 4 (foyer F00004)", "Responsable : Claire Roux"
    actor_label: str  # "" for the system
    changes: list = field(default_factory=list)  # (label, old, new)
    hidden: bool = False  # health values: shown on the health page only
    financial_hidden: bool = False  # fiscal, C.A.F. and bank values of a leader's page
    names_family: bool = False  # object_text already names the household


@cache
def _models_by_name():
    return {model._meta.model_name: model for model in apps.get_models()}


def _model(object_type):
    return FIELD_MODELS.get(object_type) or _models_by_name().get(object_type)


def object_label(object_type):
    """The French name of an object type; never a bare model name such as "Changerequest"."""
    if object_type in OBJECT_LABELS:
        return str(OBJECT_LABELS[object_type])
    model = _models_by_name().get(object_type)
    if model is not None:
        # A model without its own verbose_name would show Django's English one ("service rules").
        return str(model._meta.verbose_name) if "verbose_name" in model._meta.original_attrs else _("élément")
    if object_type.isascii() and object_type.isidentifier():
        return _("élément")
    return object_type  # already written in French by the caller ("réglages des demandes")


def actor_label(user):
    """Staff and families by name, with the role or the household reference; the login only as a fallback."""
    if user is None:
        return ""
    name = user.get_full_name().strip()
    if user.is_family:
        guardian = user.guardian
        name = name or (f"{guardian.first_name} {guardian.last_name}".strip() if guardian else "")
        reference = user.family.reference if user.family_id else ""
        who = name or user.username
        return _("%(name)s, foyer %(ref)s") % {"name": who, "ref": reference} if reference else who
    role = ROLES.get(user.role)
    who = name or user.username
    return f"{who}, {role}" if role else who


def _object_text(entry, label):
    if entry.object_type == "changerequest" and entry.object_id:
        what = f" : {entry.object_repr}" if entry.object_repr else ""
        reference = entry.family.reference if entry.family_id else entry.family_label
        if reference:
            return _("Demande n° %(id)s (foyer %(ref)s)") % {"id": entry.object_id, "ref": reference} + what, True
        return _("Demande n° %(id)s") % {"id": entry.object_id} + what, False
    text = entry.object_repr.strip()
    if not text:
        return capfirst(label), False
    if fold(text).startswith(fold(label)):  # "Données fiscales 2025", not "Données fiscales : Données fiscales 2025"
        return text, False
    return f"{capfirst(label)} : {text}", False


def _labels(object_type):
    model = _model(object_type)
    labels = field_labels(model) if model else {}
    return {**{k: str(v) for k, v in EXTRA_LABELS.items()}, **labels}


def lines(entries, *, show_health=False, show_financial=True):
    result = []
    for entry in entries:
        label = object_label(entry.object_type)
        hidden = entry.object_type in SENSITIVE and not show_health
        financial_hidden = entry.object_type in FINANCIAL and not show_financial
        labels = _labels(entry.object_type)
        changes = []
        if not hidden and not financial_hidden:
            for key, values in (entry.changes or {}).items():
                old, new = (list(values) + ["", ""])[:2] if isinstance(values, list | tuple) else ("", values)
                if key in MASKED:
                    old, new = MASKED[key](old), MASKED[key](new)
                changes.append((labels.get(key, key), old, new))
        if hidden or financial_hidden:
            text, names_family = capfirst(label), False
        else:
            text, names_family = _object_text(entry, label)
        result.append(Line(entry=entry, object_label=capfirst(label), object_text=text,
                           actor_label=actor_label(entry.actor), changes=changes, hidden=hidden,
                           financial_hidden=financial_hidden, names_family=names_family))
    return result


def family_entries(family, child_ids):
    """This household's entries, and those about its children's own shared record (no household named).

    The other household's authorised persons are named by that household, so they stay out.
    """
    return (AuditEntry.objects.filter(Q(family=family) | Q(family__isnull=True, child_id__in=child_ids))
            .select_related(*RELATED))


def health_entries(child):
    return AuditEntry.objects.filter(child=child, object_type__in=SENSITIVE).select_related(*RELATED)
