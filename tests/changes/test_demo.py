from django.core.management import call_command

from enfance.changes.models import ChangeRequest
from enfance.families.models import NewHouseholdApplication
from enfance.rules.services import current_rules


def test_demo_commune_has_requests_an_application_and_published_rules(db):
    call_command("seed_demo", verbosity=0)
    assert ChangeRequest.objects.pending().count() == 2
    assert ChangeRequest.objects.filter(status="approved").count() == 1
    assert NewHouseholdApplication.objects.filter(status="pending").count() == 1
    rules = current_rules()
    assert rules is not None and rules.acknowledgements.count() == 1
