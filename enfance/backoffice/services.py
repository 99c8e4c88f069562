"""Staff actions that the shared services do not cover yet: removing the second guardian.

They write the audit trail like every other change to household records.
"""

from django.db import transaction

from enfance.accounts.services import close_login
from enfance.families import services as family_services


@transaction.atomic
def remove_second_guardian(guardian, *, actor):
    """The second guardian leaves the household: their own logins are closed, then the record is deleted."""
    for login in guardian.logins.filter(is_active=True):
        close_login(login, actor=actor, note=f"identifiant {login.username} fermé : conjoint retiré du foyer")
    family_services.delete_record(guardian, actor=actor, family=guardian.family, note="conjoint retiré du foyer")
