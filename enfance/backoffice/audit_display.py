"""The audit trail as staff read it: field labels, IBAN masked, health values kept off general pages."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enfance.accounts.models import User
from enfance.core.audit import field_labels
from enfance.core.fields import mask_iban
from enfance.core.models import AuditEntry
from enfance.families import models as fm
from enfance.rules.models import ServiceRules

MODELS = {
    "family": fm.Family,
    "guardian": fm.Guardian,
    "taxinfo": fm.TaxInfo,
    "cafinfo": fm.CafInfo,
    "bankaccount": fm.BankAccount,
    "child": fm.Child,
    "healthrecord": fm.HealthRecord,
    "vaccination": fm.Vaccination,
    "authorizedperson": fm.AuthorizedPerson,
    "login": User,
    "servicerules": ServiceRules,
}
EXTRA_LABELS = {"is_active": _("identifiant ouvert"), "foyer": _("foyer")}
SENSITIVE = {"healthrecord", "vaccination"}
FINANCIAL = {"taxinfo", "cafinfo", "bankaccount"}  # never shown to activity leaders
MASKED = {"iban": mask_iban}


@dataclass
class Line:
    entry: AuditEntry
    object_label: str
    object_repr: str
    changes: list = field(default_factory=list)  # (label, old, new)
    hidden: bool = False  # health values: shown on the health page only
    financial_hidden: bool = False  # fiscal, C.A.F. and bank values of a leader's page


def _labels(object_type):
    model = MODELS.get(object_type)
    labels = field_labels(model) if model else {}
    return {**{k: str(v) for k, v in EXTRA_LABELS.items()}, **labels}


def lines(entries, *, show_health=False, show_financial=True):
    result = []
    for entry in entries:
        model = MODELS.get(entry.object_type)
        object_label = str(model._meta.verbose_name) if model is not None else entry.object_type
        if entry.object_type == "login":
            object_label = str(_("identifiant"))
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
        result.append(Line(entry=entry, object_label=object_label.capitalize(),
                           object_repr="" if hidden or financial_hidden else entry.object_repr, changes=changes,
                           hidden=hidden, financial_hidden=financial_hidden))
    return result


def family_entries(family, child_ids):
    """This household's entries, and those about its children's own shared record (no household named).

    The other household's authorised persons are named by that household, so they stay out.
    """
    return (AuditEntry.objects.filter(Q(family=family) | Q(family__isnull=True, child_id__in=child_ids))
            .select_related("actor"))


def health_entries(child):
    return AuditEntry.objects.filter(child=child, object_type__in=SENSITIVE).select_related("actor")
