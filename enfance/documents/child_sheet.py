"""The child sheet ("fiche enfant"), simple or complete.

Simple: who the child is, school and class, the consents, and the households to call with their guardians.
Complete adds what is special-category data or close to it: the diet, the health record, the vaccinations and
the persons authorised (or forbidden) to collect the child. A household's sheet shows that household only;
staff's (family=None) shows every household of a child in shared custody.
"""

from django.utils.translation import gettext as _

from enfance.families.categories import related_or_none
from enfance.families.forms import HealthRecordForm
from enfance.families.models import Child, ChildLink, Family

from . import renderer
from .fields import model_rows, rows

IDENTITY = ["last_name", "first_name", "birth_date", "sex", "school", "school_class", "photo_consent",
            "may_leave_alone"]


def _guardians_table(family):
    return {
        "title": _("Responsables"),
        "headers": [_("Nom"), _("Lien"), _("Téléphone portable"), _("Téléphone professionnel"),
                    _("Adresse électronique")],
        "widths": [3, 2, 2.2, 2.2, 3.6],
        "rows": [[str(g), g.relation, g.mobile_phone, g.work_phone, g.email] for g in family.guardians.all()],
        "empty": _("Aucun responsable indiqué."),
    }


def _persons_table(persons, title):
    return {
        "title": title,
        "headers": [_("Nom"), _("Lien avec l'enfant"), _("Téléphones"), _("Rôle")],
        "widths": [3, 2.4, 3, 4],
        "rows": [[f"{p.first_name} {p.last_name}", p.relation, ", ".join(x for x in (p.phone, p.phone2) if x),
                  p.role_display] for p in persons],
        "empty": _("Aucune personne indiquée."),
    }


def _household_section(family, child, *, complete, shared):
    section = {
        "title": _("Foyer %(ref)s") % {"ref": family.reference},
        "fields": [
            {"label": _("Adresse"), "value": family.full_address, "wide": True},
            {"label": _("Téléphone du domicile"), "value": family.home_phone},
        ],
        "tables": [_guardians_table(family)],
    }
    if complete:
        persons = [p for p in child.authorized_persons.all() if p.family_id == family.pk]
        title = _("Personnes autorisées nommées par ce foyer") if shared else _("Personnes autorisées")
        section["tables"].append(_persons_table(persons, title))
    return section


def _health_sections(child):
    fields = model_rows(Child, ["diet"], instance=child) + rows(HealthRecordForm,
                                                                instance=related_or_none(child, "health"))
    vaccinations = {
        "headers": [_("Vaccin"), _("Date")],
        "widths": [3, 1],
        "rows": [[v.vaccine, v.date.strftime("%d/%m/%Y")] for v in child.vaccinations.all()],
        "empty": _("Aucune vaccination enregistrée."),
    }
    return [
        {"title": _("Santé et alimentation"), "fields": fields},
        {"title": _("Vaccinations"), "tables": [vaccinations]},
    ]


def _households(child, family):
    if family is not None:
        return [family]
    ids = ChildLink.objects.filter(child=child).values("family_id")
    return list(Family.objects.filter(pk__in=ids).prefetch_related("guardians").order_by("reference"))


def build(child, *, complete, family=None):
    """The sheet's data and images. family: the household asking (portal), or None for staff."""
    households = _households(child, family)
    shared = family is None and len(households) > 1
    data = {
        "title": _("Fiche enfant complète") if complete else _("Fiche enfant"),
        "subtitle": _born(child),
        "identity": {"title": _("L'enfant"), "fields": model_rows(Child, IDENTITY, instance=child)},
        "photo_label": _("Photo"),
        "sections": (_health_sections(child) if complete else [])
        + [_household_section(h, child, complete=complete, shared=shared) for h in households],
    }
    if complete:
        data["confidential"] = {
            "notice": _("Document confidentiel : il contient des données de santé. À conserver à l'abri des "
                        "regards et à détruire quand il n'est plus utile."),
            "footer": _("Confidentiel : données de santé"),
        }
    return data, {"photo": _photo(child)}


def _born(child):
    date = child.birth_date.strftime("%d/%m/%Y")
    if child.sex == Child.Sex.F:
        text = _("%(name)s, née le %(date)s")
    elif child.sex == Child.Sex.M:
        text = _("%(name)s, né le %(date)s")
    else:
        text = _("%(name)s, né(e) le %(date)s")
    return text % {"name": child, "date": date}


def _photo(child):
    if not child.photo:
        return None
    try:
        with child.photo.open("rb") as handle:
            return handle.read()
    except OSError:
        return None  # gone from the storage: the sheet keeps an empty frame


def render(child, *, complete, family=None):
    data, images = build(child, complete=complete, family=family)
    kind = _("fiche-enfant-complete") if complete else _("fiche-enfant")
    return renderer.Edition(renderer.render("child_sheet", data, images=images),
                            renderer.filename(kind, child.first_name, child.last_name))
