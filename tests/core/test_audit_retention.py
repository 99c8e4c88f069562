"""The audit trail and the health-access log outlive what they describe (RGPD accountability)."""

from django.test import RequestFactory

from enfance.core import audit
from enfance.core.models import AuditEntry, HealthAccessLog
from tests.factories import make_household


def test_deleting_a_household_and_its_child_keeps_their_trail_with_readable_labels(staff):
    family, login, children = make_household("Efface", children=1)
    child = children[0]
    audit.record(actor=staff, action=AuditEntry.Action.UPDATE, obj=child, family=family, child=child,
                 changes={"school": ["A", "B"]})
    request = RequestFactory().get("/gestion/enfants/1/sante/")
    request.user = staff
    audit.log_health_access(request, child)
    reference, name = family.reference, f"{child.first_name} {child.last_name}"
    login.delete()
    child.delete()
    family.delete()
    entry = AuditEntry.objects.get(object_type="child")
    assert entry.family_id is None and entry.child_id is None
    assert (entry.family_label, entry.child_label) == (reference, name)
    log = HealthAccessLog.objects.get()
    assert log.child_id is None and log.child_label == name and log.user == staff
