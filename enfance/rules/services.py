from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.core import audit
from enfance.core.dates import school_year_start
from enfance.core.models import AuditEntry

from .models import Acknowledgement, ServiceRules, SignedCopy

CACHE_KEY = "rules:current"


def current_rules_id():
    """The id of the published rules of the current school year, or 0.

    Read on every portal page, so kept a minute in the shared cache; publishing clears it.
    """
    rules_id = cache.get(CACHE_KEY)
    if rules_id is None:
        rules_id = (ServiceRules.objects.filter(published_at__isnull=False, school_year=school_year_start().year)
                    .values_list("pk", flat=True).first()) or 0
        cache.set(CACHE_KEY, rules_id, 60)
    return rules_id


def current_rules():
    rules_id = current_rules_id()
    return ServiceRules.objects.filter(pk=rules_id).first() if rules_id else None


def needs_acknowledgement(request):
    rules_id = current_rules_id()
    if not rules_id or request.session.get("rules_acknowledged") == rules_id:
        return False
    if Acknowledgement.objects.filter(rules_id=rules_id, user=request.user).exists():
        request.session["rules_acknowledged"] = rules_id
        return False
    return True


def acknowledge(request, rules):
    try:
        with transaction.atomic():
            Acknowledgement.objects.create(rules=rules, user=request.user)
    except IntegrityError:
        pass  # already acknowledged (double click, two tabs)
    request.session["rules_acknowledged"] = rules.pk


def create(form, *, actor):
    """New rules for a school year, saved unpublished."""
    rules = form.save()
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=rules,
                 changes=audit.diff({}, audit.snapshot(rules, ["school_year", "title"])))
    return rules


def publish(rules, *, actor):
    rules.published_at = timezone.now()
    rules.save(update_fields=["published_at"])
    cache.delete(CACHE_KEY)
    audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=rules, note=_("publication"))


def record_signed_copy(rules, family, received_on, *, actor):
    copy, created = SignedCopy.objects.update_or_create(
        rules=rules, family=family, defaults={"received_on": received_on, "recorded_by": actor})
    audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=copy, family=family,
                 object_type="conditions", changes={"exemplaire signé reçu le": ["", received_on.strftime("%d/%m/%Y")]},
                 note=str(rules))
    return copy


def family_status(family):
    """For the staff household page: the current rules, the signed copy and which logins accepted them."""
    rules = current_rules()
    if rules is None:
        return None
    accepted = (Acknowledgement.objects.filter(rules=rules, user__family=family).select_related("user")
                .order_by("user__username"))
    return {
        "rules": rules,
        "signed": SignedCopy.objects.filter(rules=rules, family=family).first(),
        "acknowledged": {a.user.username for a in accepted},
        "acknowledged_names": [a.user.get_full_name() or a.user.username for a in accepted],
    }
