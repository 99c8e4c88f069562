"""Staff actions that the shared services do not cover yet: closing a login, removing the second guardian.

They write the audit trail like every other change to household records.
"""

from django.db import transaction

from enfance.core import audit
from enfance.core.models import AuditEntry
from enfance.families import services as family_services


@transaction.atomic
def close_login(user, *, actor, note=""):
    """The login can no longer sign in; its open sessions end at their next request."""
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=user, family=user.family, object_type="login",
                 changes={"is_active": ["oui", "non"]}, note=note or f"identifiant {user.username} fermé")
    return user


@transaction.atomic
def remove_second_guardian(guardian, *, actor):
    """The second guardian leaves the household: their own logins are closed, then the record is deleted."""
    for login in guardian.logins.filter(is_active=True):
        close_login(login, actor=actor, note=f"identifiant {login.username} fermé : conjoint retiré du foyer")
    family_services.delete_record(guardian, actor=actor, family=guardian.family, note="conjoint retiré du foyer")
