"""Read queries of the staff pages, each in a fixed number of SQL queries whatever the data size."""

import re

from django.db.models import Prefetch, Q
from django.db.models.lookups import Contains

from enfance.core.db import digits, fold, folded, phone_digits
from enfance.families.models import Child, ChildLink, Family, Guardian

MAX_TERMS = 6
# A phone number typed in groups ("06 12 34 56 78", "06.12.34.56.78") is one search word.
_PHONE_GROUPS = re.compile(r"(?<!\S)\+?\d[\d .\-/]*\d(?!\S)")
MIN_PHONE_DIGITS = 4


def search_terms(q):
    q = _PHONE_GROUPS.sub(lambda m: digits(m[0]) if len(digits(m[0])) >= MIN_PHONE_DIGITS else m[0], q)
    return q.split()[:MAX_TERMS]


def _any(fields, term):
    """Any of the fields contains the term, whatever the accents and the case on either side."""
    folded_term = fold(term)
    condition = Q()
    for field in fields:
        condition |= Q(Contains(folded(field), folded_term))
    return condition


def _phone(fields, term):
    condition = Q()
    number = digits(term)
    if len(number) >= MIN_PHONE_DIGITS and number == term.lstrip("+"):
        for field in fields:
            condition |= Q(Contains(phone_digits(field), number))
    return condition


def _family_matches(term):
    guardian_fields = ["last_name", "first_name", "birth_name", "email"]
    guardians = Guardian.objects.filter(
        _any(guardian_fields, term) | _phone(["mobile_phone", "work_phone"], term)).values("family_id")
    children = ChildLink.objects.filter(_any(["child__last_name", "child__first_name"], term)).values("family_id")
    return (_any(["reference", "city"], term) | _phone(["home_phone"], term)
            | Q(pk__in=guardians) | Q(pk__in=children))


def search_families(q="", *, include_archived=False, families=None):
    """Households matching every word of `q`: a guardian's name, e-mail or phone, a child's name, the home
    phone, the town or the reference.

    Accents and case do not matter ("elodie" finds Élodie); phones compare by their digits. Each word may
    match a different thing: "martin léa" finds Léa in the Martin household. `families` narrows the search
    to the households the user may see.
    """
    if families is None:
        families = Family.objects.all()
    if not include_archived:
        families = families.filter(archived_at__isnull=True)
    for term in search_terms(q):
        families = families.filter(_family_matches(term))
    return families.prefetch_related(
        "guardians", Prefetch("children", queryset=Child.objects.order_by("birth_date", "first_name"))
    ).order_by("reference")


def search_children(q, *, exclude_family=None, limit=20):
    """Children whose first or last name match every word of `q`, with their households."""
    children = Child.objects.all()
    terms = search_terms(q)
    if not terms:
        return []
    for term in terms:
        children = children.filter(_any(["last_name", "first_name"], term))
    if exclude_family is not None:
        children = children.exclude(links__family=exclude_family)
    links = ChildLink.objects.select_related("family").prefetch_related("family__guardians")
    return list(children.prefetch_related(Prefetch("links", queryset=links))
                .order_by("last_name", "first_name", "birth_date")[:limit])


def other_households(children, family):
    """The other households of children in shared custody, with their guardians, by id."""
    ids = {link.family_id for child in children for link in child.links.all()} - {family.pk}
    if not ids:
        return {}
    return {f.pk: f for f in Family.objects.filter(pk__in=ids).prefetch_related("guardians")}
