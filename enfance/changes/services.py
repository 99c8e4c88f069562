"""Submit, decide and cancel households' requests, whatever their type (see registry.py).

Every transition locks the request row, so that two staff members approving at once apply it
once, and a household cancelling while staff approve ends in one state. Approving then locks
the target through its request type before the conflict check, so two requests on one record
(the two households of a shared child) are applied one after the other, never one over the other.
"""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.core import attachments as files
from enfance.core import audit
from enfance.core.models import AuditEntry

from . import registry
from .models import CategorySetting, ChangeRequest, RequestLine
from .signals import request_decided

Kind = ChangeRequest.Kind
Status = ChangeRequest.Status
Outcome = RequestLine.Outcome


class RequestError(Exception):
    def __init__(self, message, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class AlreadyPending(RequestError):
    def __init__(self, pending):
        super().__init__(_("Une demande sur ces informations est déjà en attente de validation."))
        self.pending = pending


class NoChange(RequestError):
    pass


class NotPending(RequestError):
    pass


class ConflictError(RequestError):
    """The record changed since the request was made: the reviewer must confirm."""

    def __init__(self, conflicts):
        super().__init__(_("Les informations ont changé depuis la demande : confirmez pour appliquer."))
        self.conflicts = conflicts


# --- automatic approval ---------------------------------------------------------------------

def is_auto_approved(type_key):
    """The administrators' setting for this type, or the type's default when they never chose."""
    chosen = CategorySetting.objects.filter(category=type_key).values_list("auto_approve", flat=True).first()
    if chosen is not None:
        return chosen
    request_type = registry.find(type_key)
    return bool(request_type and request_type.auto_approvable and request_type.default_auto)


def auto_approved_types():
    chosen = dict(CategorySetting.objects.values_list("category", "auto_approve"))
    return {key for key, auto in chosen.items() if auto} | {
        t.key for t in registry.all_types() if t.auto_approvable and t.default_auto and t.key not in chosen}


AUTO_APPROVED_CACHE_KEY = "requests:auto-approved"
ANSWER_LENGTH = 2000  # ChangeRequest.answer


def shows_as_auto_approved(type_key):
    """For the hint on a request form, shown on most portal pages: the setting kept a minute in the shared
    cache (set_auto_approved clears it). A submission itself always reads the database (is_auto_approved)."""
    keys = cache.get(AUTO_APPROVED_CACHE_KEY)
    if keys is None:
        keys = sorted(auto_approved_types())
        # add, never set: a page that read the database before an administrator's change committed must not
        # overwrite what set_auto_approved put there once committed.
        cache.add(AUTO_APPROVED_CACHE_KEY, keys, 60)
    return type_key in keys


@transaction.atomic
def set_auto_approved(keys, *, actor):
    """Requests default to manual checking, as the commune described; an administrator may change it per type."""
    before = auto_approved_types()
    keys = {key for key in keys if (t := registry.find(key)) is not None and t.auto_approvable}
    for request_type in registry.all_types():
        CategorySetting.objects.update_or_create(category=request_type.key,
                                                 defaults={"auto_approve": request_type.key in keys})
    # The form hint's cache: emptied now, and once committed set to the new value (robust: the setting is saved
    # whatever happens to the cache, which then expires within a minute).
    cache.delete(AUTO_APPROVED_CACHE_KEY)
    transaction.on_commit(lambda: cache.set(AUTO_APPROVED_CACHE_KEY, sorted(keys), 60), robust=True)
    if before != keys:
        def names(selected):
            return ", ".join(sorted(str(registry.get(k).label) for k in selected if registry.find(k)))

        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, object_type="réglages des demandes",
                     changes={"validation automatique": [names(before), names(keys)]})


# --- submit ---------------------------------------------------------------------------------------

def conflict_key(type_key, *, family, child=None, target_id=None):
    """One pending request per record and household (two households of a shared child each have their own)."""
    return f"{type_key}:f{family.pk}:c{child.pk if child else ''}:t{target_id or ''}"


def find_pending(type_key, *, family, child=None, target_id=None):
    """The request waiting on this record, for the form's notice: its number and date only."""
    return (ChangeRequest.objects.pending().only("pk", "created_at")
            .filter(conflict_key=conflict_key(type_key, family=family, child=child, target_id=target_id)).first())


def _lock_family(family):
    # Serialises a household's submissions (the database constraint backs it).
    return type(family).objects.select_for_update(no_key=True).get(pk=family.pk)


def submit(type_key, *, user, family, kind, child=None, target_id=None, before=None, proposed=None, lines=(),
           uploads=(), exclusive=True):
    """File a request. `lines`: raw payloads (one per line); `uploads`: checked files (core.attachments.CleanFile).

    `exclusive`: at most one pending request per record and household (False for an addition)."""
    request_type = registry.get(type_key)
    key = conflict_key(type_key, family=family, child=child, target_id=target_id) if exclusive else ""
    auto = request_type.auto_approvable and is_auto_approved(type_key)
    with transaction.atomic():
        _lock_family(family)
        if key and (pending := ChangeRequest.objects.pending().filter(conflict_key=key).first()):
            raise AlreadyPending(pending)
        try:
            with transaction.atomic():
                request = ChangeRequest.objects.create(
                    family=family, child=child, created_by=user, request_type=type_key, kind=kind,
                    target_id=target_id, before=before or {}, proposed=proposed or {}, conflict_key=key,
                )
        except IntegrityError:
            raise AlreadyPending(ChangeRequest.objects.pending().filter(conflict_key=key).first()) from None
        if lines:
            # Approved at once: the decision judges every line anyway, no need to judge them twice.
            _add_lines(request, request_type, lines, judge=not auto)
        for upload in uploads:
            files.store(upload, owner=request, role=request_type.attachments.policy.name, uploaded_by=user)
        audit.record(actor=user, action=AuditEntry.Action.REQUEST, family=family, child=child,
                     object_type="changerequest", object_id=str(request.pk), object_repr=request.target_label)
    if auto:
        try:
            return approve(request.pk, staff=None, auto=True)
        except RequestError:
            # A rule failed or the record moved: it waits for a person, as any other request.
            request.refresh_from_db()
    return request


def _add_lines(request, request_type, payloads, *, judge=True):
    """Lines whose key is already open elsewhere are refused at once, with their reason; the others wait.

    All in one INSERT under one savepoint, the usual case (a month of bookings is a hundred lines); if a key is
    taken (a concurrent submission, or twice the same line), line by line, each under its own savepoint."""
    lines = []
    for position, payload in enumerate(payloads):
        line = RequestLine(request=request, position=position, payload=payload)
        line.conflict_key = request_type.line_conflict_key(request, line)
        lines.append(line)
    try:
        with transaction.atomic():
            RequestLine.objects.bulk_create(lines)
    except IntegrityError:
        for line in lines:
            line.pk, line._state.adding = None, True
            try:
                with transaction.atomic():  # a savepoint: a concurrent submission may take the key first
                    line.save()
            except IntegrityError:
                line.pk = None
                line.conflict_key, line.is_open = "", False
                line.outcome, line.reason = Outcome.REFUSED, _("Une demande est déjà en attente pour cette ligne.")
                line.save()
    if not judge:
        return
    judged = request_type.judge_submission(request, list(request.lines.filter(is_open=True)))
    _close_many([(line, judged[line.pk]) for line in request.lines.filter(pk__in=judged)])


def _close_line(line, outcome):
    line.outcome, line.reason, line.is_open = outcome.outcome, outcome.reason[:300], False
    line.save(update_fields=["outcome", "reason", "is_open"])


def _close_many(judged):
    """_close_line for each (line, outcome): one UPDATE per distinct outcome and reason (a month of bookings is
    mostly "Réservé."), cheaper to build than a bulk_update's CASE over every line."""
    groups = {}
    for line, outcome in judged:
        line.outcome, line.reason, line.is_open = outcome.outcome, outcome.reason[:300], False
        groups.setdefault((line.outcome, line.reason), []).append(line.pk)
    for (outcome, reason), pks in groups.items():
        RequestLine.objects.filter(pk__in=pks).update(outcome=outcome, reason=reason, is_open=False)


# --- review ------------------------------------------------------------------------------------------

def review(request):
    """(rows, conflicts) of a request for its review page, read without locks."""
    request_type = request.type
    if request_type is None:
        return [], {}
    target = request_type.current(request)
    conflicts = request_type.conflicts(request, target) if request.is_pending else {}
    return request_type.rows(request, target), conflicts


# --- decide ------------------------------------------------------------------------------------------

def _locked(request_id):
    """The request, locked after its household: one lock order everywhere (submitting and archiving lock the
    household first too), so that an approval racing an archiving waits instead of deadlocking."""
    family_id = ChangeRequest.objects.filter(pk=request_id).values_list("family_id", flat=True).first()
    if family_id is None:
        raise ChangeRequest.DoesNotExist
    Family = ChangeRequest._meta.get_field("family").related_model
    Family.objects.select_for_update(no_key=True).filter(pk=family_id).first()
    # of=("self",): lock the request row only (the child is on the nullable side of an outer join); the
    # household row read with it is the one locked above, so its archived_at is current.
    return (ChangeRequest.objects.select_for_update(of=("self",), no_key=True)
            .select_related("family", "child").get(pk=request_id))


def _locked_pending(request_id, *, by_staff=True, needs_type=True):
    request = _locked(request_id)
    if request.status != Status.PENDING:
        raise NotPending(_("Cette demande a déjà été traitée (%(status)s).")
                         % {"status": request.get_status_display().lower()})
    if by_staff and request.family.archived_at is not None:
        raise RequestError(_("Le foyer %(ref)s est archivé : ses demandes ne peuvent plus être traitées.")
                           % {"ref": request.family.reference})
    if needs_type and request.type is None:
        raise RequestError(_("Ce type de demande n'existe plus : elle ne peut pas être appliquée."))
    return request


def decide(obj, status, *, by, **fields):
    """Close a request or a pre-registration: its new status, when, by whom, and any other field given."""
    obj.status = status
    obj.decided_at = timezone.now()
    obj.decided_by = by
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=["status", "decided_at", "decided_by", *fields])
    return obj


def approve(request_id, *, staff, comment="", confirm=False, auto=False):
    """Apply the request in one transaction. Safe to call twice: the second call changes nothing."""
    with transaction.atomic():
        request = _locked_pending(request_id)
        request_type = request.type
        target = request_type.lock(request)
        found = request_type.conflicts(request, target)
        if found and not confirm:
            raise ConflictError(found)
        request_type.validate_decision(request, target)
        lines = None
        if request_type.multi_line:
            lines = list(request.lines.select_for_update().filter(is_open=True))
            outcomes = request_type.decide_lines(request, lines)
            _close_many([(line, outcomes.get(line.pk, registry.LineOutcome(Outcome.REFUSED))) for line in lines])
        note = _("Demande n° %(id)s") % {"id": request.pk}
        # A type may say what its application did that the household must know (days it could not change).
        outcome = request_type.apply(request, target, actor=staff, note=note, lines=lines,
                                     attachments=list(files.of(request).filter(purged_at__isnull=True)))
        outcome = outcome[:1000] if isinstance(outcome, str) else ""
        # Staff's comment shortened if need be, never what the household must know of the outcome.
        room = ANSWER_LENGTH - (len(outcome) + 2 if outcome else 0)
        answer = "\n\n".join(part for part in (comment[:room], outcome) if part)
        decide(request, Status.APPROVED, by=staff, auto_approved=auto, answer=answer, conflict_key="")
        _after_decision(request, approved=True)
        audit.record(actor=staff, action=AuditEntry.Action.REQUEST_APPROVED, family=request.family,
                     child=request.child, object_type="changerequest", object_id=str(request.pk),
                     object_repr=request.target_label, note=_("validation automatique") if auto else comment[:300])
        _notify(request)
    return request


def reject(request_id, *, staff, reason):
    if not reason.strip():
        raise RequestError(_("Indiquez le motif du refus : il est envoyé à la famille."),
                           errors={"reason": _("Le motif est obligatoire.")})
    with transaction.atomic():
        request = _locked_pending(request_id, needs_type=False)  # refusing needs nothing of the type
        _close_lines(request, Outcome.REFUSED, reason.strip())
        decide(request, Status.REJECTED, by=staff, answer=reason.strip()[:2000], conflict_key="")
        _after_decision(request, approved=False)
        audit.record(actor=staff, action=AuditEntry.Action.REQUEST_REJECTED, family=request.family,
                     child=request.child, object_type="changerequest", object_id=str(request.pk),
                     object_repr=request.target_label, note=reason.strip()[:300])
        _notify(request)
    return request


def cancel(request_id, *, family, user):
    """The household withdraws its request."""
    with transaction.atomic():
        request = _locked(request_id)
        if request.family_id != family.pk:
            raise ChangeRequest.DoesNotExist
        if request.status != Status.PENDING:
            raise NotPending(_("Cette demande a déjà été traitée : elle ne peut plus être annulée."))
        _cancel(request, by=user, reason="")
    return request


def cancel_pending_of_family(family, *, actor, reason):
    """Archiving a household: its pending requests are cancelled, with the reason, and recorded."""
    cancelled = []
    for request_id in ChangeRequest.objects.pending().filter(family=family).values_list("pk", flat=True):
        request = _locked(request_id)
        if request.status == Status.PENDING:
            _cancel(request, by=actor, reason=reason)
            cancelled.append(request)
    return cancelled


def _cancel(request, *, by, reason):
    _close_lines(request, Outcome.CANCELLED, reason)
    decide(request, Status.CANCELLED, by=by, answer=reason[:2000], conflict_key="")
    _after_decision(request, approved=False)
    audit.record(actor=by, action=AuditEntry.Action.REQUEST_CANCELLED, family=request.family, child=request.child,
                 object_type="changerequest", object_id=str(request.pk), object_repr=request.target_label,
                 note=reason[:300])


def _close_lines(request, outcome, reason):
    for line in request.lines.select_for_update().filter(is_open=True):
        _close_line(line, registry.LineOutcome(outcome, reason))


def _after_decision(request, *, approved):
    """A photo's copy goes once decided; a supporting document stays with an approval for the retention period;
    every file of a refused or cancelled request goes."""
    request_type = request.type
    kept = files.of(request).filter(purged_at__isnull=True)
    rule = request_type.attachments if request_type is not None else None
    if approved and rule is not None and rule.after_decision == "retain":
        files.keep_until(list(kept), files.retention_deadline())
    else:
        files.purge(list(kept))
    if request_type is not None:
        request_type.on_decided(request)


def _notify(request):
    # The inbox and the e-mail (by each login's choice) are messaging's: it listens to this signal.
    request_decided.send(sender=ChangeRequest, request=request)


# --- the "à contrôler" list ---------------------------------------------------------------------------

def to_check():
    """Requests applied automatically that no staff member has looked at yet, oldest first."""
    return (ChangeRequest.objects.filter(auto_approved=True, checked_at__isnull=True)
            .select_related("family", "child").order_by("created_at", "id"))


def mark_checked(request_ids, *, staff):
    """Staff saw these automatic approvals: one UPDATE, so that two colleagues checking at once each count only
    the ones they marked. The number marked."""
    return ChangeRequest.objects.filter(pk__in=list(request_ids), auto_approved=True, checked_at__isnull=True).update(
        checked_at=timezone.now(), checked_by=staff)
