"""One access helper per resource.

A household reaches only its own objects: anything else answers 404, exactly
like an object that does not exist. Agents and administrators reach every
household; activity leaders only the households of their activities, without
their fiscal, C.A.F. or bank data (families_visible_to, sees_financial_data).
"""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from .models import AuthorizedPerson, Child, ChildLink, Family, Vaccination


def children_of(family):
    return Child.objects.filter(links__family=family)


def get_child_for_family(family, child_id):
    return get_object_or_404(children_of(family), pk=child_id)


def get_authorized_person_for_family(family, child, person_id):
    # Both the child and the household must match: your own child with
    # another household's entry is a 404.
    return get_object_or_404(AuthorizedPerson, pk=person_id, family=family, child=child)


def get_vaccination_for_child(child, vaccination_id):
    return get_object_or_404(Vaccination, pk=vaccination_id, child=child)


def family_with_records(family_id, *, families=None):
    """A household with everything its pages show, in a fixed number of queries."""
    return get_object_or_404(
        (Family.objects.all() if families is None else families).select_related("tax_info", "caf_info", "bank_account").prefetch_related("guardians", "logins"),
        pk=family_id,
    )


def _household_count():
    """The child's households, counted apart from the query's own join on this household's links
    (counting that join gives 1 for every child)."""
    links = (ChildLink.objects.filter(child=OuterRef("pk")).order_by().values("child")
             .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(links, output_field=IntegerField()), 0)


def children_with_records(family, *, own_persons_only=True, with_households=False):
    """The household's children with their health record and authorised persons, in three queries.

    `households` counts the child's households (2 in shared custody). The other households'
    rows themselves are loaded only for staff (with_households): the portal never needs them.
    """
    persons = AuthorizedPerson.objects.all()
    if own_persons_only:
        persons = persons.filter(family=family)
    prefetches = [Prefetch("authorized_persons", queryset=persons)]
    if with_households:
        prefetches += ["vaccinations", Prefetch("links", queryset=ChildLink.objects.select_related("family"))]
    return list(
        children_of(family)
        .select_related("health")
        .annotate(households=_household_count())
        .prefetch_related(*prefetches)
        .order_by("birth_date", "first_name")
    )


def sees_all_households(user):
    """Agents and administrators (the roles that keep the records) see every household."""
    return user.is_authenticated and user.can_edit_records


def sees_financial_data(user):
    """Fiscal, C.A.F. and bank data: only the roles that keep the records, never a leader."""
    return sees_all_households(user)


def leader_families(user):
    """The households an activity leader works with: those with a child in one of the leader's activities.

    Hook for the activities issue, which brings activities, registrations and the leaders' link to
    them: replace `none()` with the households of the children registered in the leader's activities.
    Until then a leader sees no household.
    """
    return Family.objects.none()


def families_visible_to(user):
    """The households a staff member may open; every staff page about a household goes through it."""
    if sees_all_households(user):
        return Family.objects.all()
    if user.is_authenticated and user.is_staff_member:
        return leader_families(user)
    return Family.objects.none()


def children_visible_to(user):
    if sees_all_households(user):
        return Child.objects.all()
    return Child.objects.filter(links__family__in=families_visible_to(user)).distinct()


def get_family_for_staff(user, family_id):
    """A household for the staff member's pages; a household they may not see answers 404 like a missing one."""
    return family_with_records(family_id, families=families_visible_to(user))


def get_child_for_staff(user, child_id):
    return get_object_or_404(children_visible_to(user).select_related("health"), pk=child_id)
