"""Read queries of the staff pages, each in a fixed number of SQL queries whatever the data size."""

from django.db.models import Prefetch, Q

from enfance.families.models import Child, ChildLink, Family, Guardian

MAX_TERMS = 6


def _variants(term):
    """The spellings of a word to look for: SQLite's LIKE ignores case for ASCII letters only, so "élodie"
    must also be tried as "Élodie" and "ÉLODIE" (PostgreSQL needs no help; the extra terms are harmless)."""
    if term.isascii():
        return [term]
    return list(dict.fromkeys([term, term.lower(), term.upper(), term.capitalize(), term.title()]))


def _any(fields, term):
    condition = Q()
    for variant in _variants(term):
        for field in fields:
            condition |= Q(**{f"{field}__icontains": variant})
    return condition


def search_families(q="", *, include_archived=False):
    """Households matching every word of `q` in a guardian's name, a child's name or the reference.

    Case-insensitive. Each word may match a different thing: "martin léa" finds Léa in the Martin household.
    """
    families = Family.objects.all()
    if not include_archived:
        families = families.filter(archived_at__isnull=True)
    for term in q.split()[:MAX_TERMS]:
        guardians = Guardian.objects.filter(_any(["last_name", "first_name", "birth_name"], term)).values("family_id")
        children = ChildLink.objects.filter(_any(["child__last_name", "child__first_name"], term)).values("family_id")
        families = families.filter(Q(reference__icontains=term) | Q(pk__in=guardians) | Q(pk__in=children))
    return families.prefetch_related(
        "guardians", Prefetch("children", queryset=Child.objects.order_by("birth_date", "first_name"))
    ).order_by("reference")


def search_children(q, *, exclude_family=None, limit=20):
    """Children whose first or last name match every word of `q`, with their households."""
    children = Child.objects.all()
    terms = q.split()[:MAX_TERMS]
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
