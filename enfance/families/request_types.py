"""Household records as request types: one per category of categories.py, registered with `changes`.

A request on a record keeps the raw values of the fields its form edits, before and proposed.
When approved, the record is locked, the household's changed fields are checked against what
is there now (a conflict asks the reviewer to confirm), validated again with the same form,
and only those fields are written.
"""

from django.core import signing
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.changes import registry
from enfance.changes import services as requests
from enfance.changes.models import ChangeRequest
from enfance.core import attachments  # noqa: F401  (policies)
from enfance.core.audit import field_labels
from enfance.core.values import display_raw, raw_from_form, raw_from_instance

from . import categories, services
from .models import Child, Family

Kind = ChangeRequest.Kind
SUPPORTING_DOCUMENTS = {
    "tax": gettext_lazy("Avis d'imposition (facultatif)"),
    "caf": gettext_lazy("Attestation de quotient familial CAF ou MSA (facultatif)"),
    "health": gettext_lazy("Ordonnance, certificat médical ou document du PAI (facultatif)"),
}


class RecordRequestType(registry.RequestType):
    def __init__(self, category, attachments_rule=None):
        self.category = category
        self.key = category.key
        self.label = category.label
        self.sensitive = category.sensitive
        self.attachments = attachments_rule
        self.group = gettext_lazy("Dossier de l'enfant") if category.scope == categories.CHILD else \
            gettext_lazy("Dossier du foyer")

    def owner_label(self, request):
        if request.child_id:
            return f"{self.label} – {request.child.first_name}"
        return str(self.label)

    # --- target ---------------------------------------------------------------------------------
    def _query(self, request):
        if self.category.kind == categories.LIST:
            return self.category.items(request.family, request.child).filter(pk=request.target_id)
        return self.category.record_query(request.family, request.child)

    def current(self, request):
        if request.kind == Kind.ADD:
            return None
        return self._query(request).first()

    def lock(self, request):
        # The owner first: two requests creating one record (a health record, the fiscal data) wait for each other.
        # NO KEY UPDATE: rows that merely reference the owner (an audit entry) are not blocked by it.
        if self.category.scope == categories.CHILD and request.child_id:
            Child.objects.select_for_update(no_key=True).filter(pk=request.child_id).first()
        else:
            Family.objects.select_for_update(no_key=True).filter(pk=request.family_id).first()
        if request.kind == Kind.ADD:
            return None
        return self._query(request).select_for_update(no_key=True).first()

    # --- values ----------------------------------------------------------------------------------
    def _fields(self, request):
        return list(dict.fromkeys([*request.before, *request.proposed]))

    def changed_fields(self, request):
        if request.kind == Kind.ADD:
            return list(request.proposed)
        if request.kind == Kind.REMOVE:
            return []
        return [k for k, v in request.proposed.items() if request.before.get(k, "") != v]

    def _show(self, name, raw):
        return display_raw(self.category.model, name, raw)

    def rows(self, request, target):
        if request.kind == Kind.FILE:
            return []
        labels = field_labels(self.category.model)
        now = raw_from_instance(target, self._fields(request)) if target is not None else {}
        changed = set(self.changed_fields(request))
        rows = []
        for key in self._fields(request):
            before, current = request.before.get(key, ""), now.get(key, "")
            rows.append(registry.Row(
                key=key, label=labels.get(key, key), before=self._show(key, before), current=self._show(key, current),
                proposed=self._show(key, request.proposed.get(key, "")) if request.kind != Kind.REMOVE else "",
                changed=key in changed or request.kind in (Kind.ADD, Kind.REMOVE),
                moved=request.kind != Kind.ADD and target is not None and current != before,
            ))
        return rows

    def conflicts(self, request, target):
        """What the household asked to change and that changed since; other fields may move freely."""
        if request.kind == Kind.ADD:
            return {}
        if request.target_id is not None and target is None:
            return {"__all__": (_("présent"), _("supprimé depuis"))}
        if target is None:
            return {}
        if request.target_id is None and request.kind == Kind.FIELDS:
            return {"__all__": (_("absent"), _("créé depuis"))}
        if request.kind == Kind.FILE:
            now = target.photo.name or ""
            return {} if now == request.before.get("photo", "") else {
                str(_("photo")): (_("photo d'alors"), _("remplacée depuis"))}
        watched = self._fields(request) if request.kind == Kind.REMOVE else self.changed_fields(request)
        now = raw_from_instance(target, watched)
        labels = field_labels(self.category.model)
        return {labels.get(k, k): (self._show(k, request.before.get(k, "")), self._show(k, now[k]))
                for k in watched if now[k] != request.before.get(k, "")}

    # --- apply -----------------------------------------------------------------------------------
    def apply(self, request, target, *, actor, note, lines=None, attachments=()):
        family, child = request.family, request.child
        if request.kind == Kind.FILE:
            photo = next((a for a in attachments if a.role == attachments_policy_name(self)), None)
            if photo is None:
                raise requests.RequestError(_("La photo envoyée n'est plus disponible."))
            with photo.file.open("rb") as handle:
                services.set_photo(child, ContentFile(handle.read()), actor=actor, family=family, note=note)
            return
        if request.kind == Kind.REMOVE:
            if target is None:
                raise requests.RequestError(_("Cet élément a déjà été supprimé."))
            services.delete_record(target, actor=actor, family=family, child=child, note=note)
            return
        if target is None:
            if request.target_id is not None:
                raise requests.RequestError(_("Cet élément n'existe plus : la demande ne peut pas être appliquée."))
            instance, data, fields = self.category.new_instance(family, child), dict(request.proposed), None
        else:
            # Only the fields the household changed; later changes to the others are kept.
            changed = self.changed_fields(request)
            instance, fields = target, changed
            data = raw_from_instance(target, list(request.proposed))
            data.update({k: request.proposed[k] for k in changed})
        form = self.category.build_form(staff=False, instance=instance, data=data, child=child)
        if not form.is_valid():
            errors = {k: " ".join(v) for k, v in form.errors.items()}
            raise requests.RequestError(_("Les valeurs demandées ne sont plus valables : %(errors)s")
                                        % {"errors": "; ".join(errors.values())}, errors=errors)
        services.save_record(form, actor=actor, family=family, child=child, note=note, fields=fields)


def attachments_policy_name(request_type):
    return request_type.attachments.policy.name if request_type.attachments else ""


# --- submitting, for the portal's forms -----------------------------------------------------------------

def _fresh(instance):
    if instance is None or instance.pk is None:
        return None
    return type(instance).objects.filter(pk=instance.pk).first()


SHOWN_SALT = "enfance.families.request_shown"


def shown_token(instance, fields):
    """The values a portal form showed, signed: what the household saw is what its request starts from."""
    values = raw_from_instance(instance, fields) if instance is not None and instance.pk else {}
    return signing.dumps({"pk": getattr(instance, "pk", None), "values": values}, salt=SHOWN_SALT, compress=True)


def read_shown(token, instance, fields):
    """The values the form showed, or None when the token is missing, forged or about another record."""
    try:
        data = signing.loads(token or "", salt=SHOWN_SALT, max_age=60 * 60 * 24 * 7)
    except signing.BadSignature:
        return None
    values = data.get("values") if isinstance(data, dict) else None
    if data.get("pk") != getattr(instance, "pk", None) or not isinstance(values, dict):
        return None
    if values and set(values) != set(fields):
        return None
    return values


def submit_form(*, user, family, category, form, kind, child=None, uploads=(), shown=None):
    """File a request from a valid form (kinds fields, add, change) and its checked supporting files.

    `shown`: the values the page showed (read_shown). A field that changed between showing the page and
    sending it is then not taken for the household's change, and a change of the household to a field that
    moved meanwhile is a conflict the reviewer sees. Without it, the record as it is now stands for it."""
    fields = list(form._meta.fields)
    original = _fresh(form.instance) if kind != Kind.ADD else None
    before = raw_from_instance(original, fields) if original is not None else {}
    if original is not None and shown:
        before = dict(shown)
    proposed = raw_from_form(form)
    if original is not None and before == proposed and not uploads:
        raise requests.NoChange(_("Vous n'avez modifié aucune information."))
    return requests.submit(category.key, user=user, family=family, child=child, kind=kind,
                           target_id=original.pk if original is not None else None, before=before,
                           proposed=proposed, uploads=uploads, exclusive=kind != Kind.ADD)


def submit_removal(*, user, family, category, item, child=None):
    return requests.submit(category.key, user=user, family=family, child=child, kind=Kind.REMOVE, target_id=item.pk,
                           before=raw_from_instance(item, list(category.form_class._meta.fields)))


def submit_photo(*, user, family, child, upload):
    """The child's photo (a CleanFile, checked and re-encoded) waits as the request's attachment."""
    return requests.submit("photo", user=user, family=family, child=child, kind=Kind.FILE, target_id=child.pk,
                           before={"photo": child.photo.name or ""}, uploads=[upload])


def find_pending(family, category, *, child=None, target_id=None):
    return requests.find_pending(category.key, family=family, child=child, target_id=target_id)


def register_all():
    for category in categories.CATEGORIES:
        rule = None
        if category.key == "photo":
            rule = registry.AttachmentRule(attachments.PHOTO, required=True, label=gettext_lazy("Photo"),
                                           after_decision="drop")
        elif category.key in SUPPORTING_DOCUMENTS:
            rule = registry.AttachmentRule(attachments.DOCUMENT, label=SUPPORTING_DOCUMENTS[category.key],
                                           help_text=attachments.DOCUMENT.help_text)
        registry.register(RecordRequestType(category, rule))
