"""Staff list pages: a fixed number of SQL queries, whatever the number of rows (no N+1)."""

from django.urls import reverse

from enfance.changes.models import ChangeRequest
from enfance.core.dates import school_year_start
from enfance.core.models import HealthAccessLog
from enfance.families import services as family_services
from enfance.families.models import NewHouseholdApplication
from enfance.rules.models import ServiceRules
from tests.factories import UserFactory, make_household

from .conftest import count_queries


def _add_rows(n, tag, staff):
    """n more households, each with a request, a pre-registration, a health access, a staff login, audit lines."""
    for i in range(n):
        family, login, (child,) = make_household(f"Liste{tag}{i}", children=1)
        ChangeRequest.objects.create(family=family, child=child, created_by=login, request_type="health", kind="fields")
        NewHouseholdApplication.objects.create(payload={"guardians": [{"first_name": "Inès", "last_name": f"N{i}"}],
                                                        "children": [{}]})
        HealthAccessLog.objects.create(user=staff, child=child)
        UserFactory(role="agent")
        if i % 2:
            family_services.archive_family(family, actor=staff, reason="départ")  # audit lines for the dashboard


def test_staff_list_pages_do_not_grow_with_their_rows(admin_client_, admin_user):
    rules = ServiceRules.objects.create(school_year=school_year_start().year, title="Conditions", text="Texte")
    urls = [reverse("backoffice:requests"), reverse("backoffice:requests") + "?status=", reverse("backoffice:applications"),
            reverse("backoffice:rules"), reverse("backoffice:rules_detail", args=[rules.pk]), reverse("backoffice:staff"),
            reverse("backoffice:health_log"), reverse("backoffice:home"), reverse("backoffice:families")]
    _add_rows(1, "a", admin_user)
    few = {url: count_queries(lambda url=url: admin_client_.get(url)) for url in urls}
    _add_rows(4, "b", admin_user)
    many = {url: count_queries(lambda url=url: admin_client_.get(url)) for url in urls}
    assert few == many
