"""One access helper per resource.

A household reaches only its own objects: anything else answers 404, exactly
like an object that does not exist. Agents and administrators reach every
household; activity leaders only the households of their activities, without
their fiscal, C.A.F. or bank data (families_visible_to, sees_financial_data).
"""

import datetime

from django.db import connection
from django.db.models import BooleanField, IntegerField, Prefetch
from django.shortcuts import get_object_or_404

from enfance.core.db import RowSQL

from .models import AuthorizedPerson, Child, ChildLink, Family, HealthRecord, Vaccination


def children_of(family):
    return Child.objects.filter(links__family=family)


def get_child_for_family(family, child_id, *, with_health=False):
    children = children_of(family)
    return get_object_or_404(children.select_related("health") if with_health else children, pk=child_id)


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


def _child_columns(family):
    """Per child, in raw SQL (compiling the same subqueries through the ORM cost more than running them):
    `households`, the child's households (2 in shared custody), counted apart from the query's own join on this
    household's links; `has_health`, whether it has a health record (without loading it); `has_own_persons`,
    whether this household named persons authorised for it."""
    link, health, person = (connection.ops.quote_name(m._meta.db_table) for m in (ChildLink, HealthRecord,
                                                                                 AuthorizedPerson))
    return {
        "households": RowSQL(f"SELECT COUNT(*) FROM {link} l WHERE l.child_id = {{row}}.id",
                             output_field=IntegerField()),
        "has_health": RowSQL(f"EXISTS (SELECT 1 FROM {health} h WHERE h.child_id = {{row}}.id)",
                             output_field=BooleanField()),
        "has_own_persons": RowSQL(f"EXISTS (SELECT 1 FROM {person} p WHERE p.child_id = {{row}}.id"
                                  f" AND p.family_id = %s)", [family.pk], output_field=BooleanField()),
    }


def children_summary(family):
    """The household's children with the columns of _child_columns, in one query: what the home page shows."""
    return list(children_of(family).annotate(**_child_columns(family)).order_by("birth_date", "first_name"))


def children_with_records(family, *, own_persons_only=True, with_households=False):
    """The household's children with their health record and authorised persons, in three queries, and the
    columns of _child_columns.

    The other households' rows themselves are loaded only for staff (with_households): the portal never needs
    them.
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
        .annotate(**_child_columns(family))
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
    """The households an activity leader works with: those with a child registered to, or booked from a
    month ago on for, one of the leader's activities (Activity.leaders)."""
    from django.db.models import Q

    registered, booked = _leader_child_ids(user)
    linked = ChildLink.objects.filter(Q(child_id__in=registered) | Q(child_id__in=booked)).values("family_id")
    return Family.objects.filter(pk__in=linked)


def _leader_child_ids(user):
    """(registered, booked): subqueries of the ids of the children of the leader's activities."""
    from django.utils import timezone

    from enfance.activities.models import Booking, Registration

    since = timezone.localdate() - datetime.timedelta(days=31)
    registered = Registration.objects.filter(activity__leaders=user, last_day__gte=since).values("child_id")
    booked = (Booking.objects.filter(unit__activity__leaders=user, day__gte=since)
              .exclude(state=Booking.State.CANCELLED).values("child_id"))
    return registered, booked


def leader_children(user):
    """The children a leader works with: registered to, or booked for, one of their activities (not their
    brothers and sisters who only eat at the canteen)."""
    from django.db.models import Q

    registered, booked = _leader_child_ids(user)
    return Child.objects.filter(Q(pk__in=registered) | Q(pk__in=booked))


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
    if user.is_authenticated and user.is_staff_member:
        return leader_children(user)
    return Child.objects.none()


def get_family_for_staff(user, family_id):
    """A household for the staff member's pages; a household they may not see answers 404 like a missing one."""
    return family_with_records(family_id, families=families_visible_to(user))


def get_child_for_staff(user, child_id):
    return get_object_or_404(children_visible_to(user).select_related("health"), pk=child_id)
