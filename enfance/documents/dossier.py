"""The household's dossier to print and sign (the paper dossier stays compulsory), in three states:

- blank: the pre-registration form on paper, every field of the public form with a line to write on;
- a new household's pending pre-registration, filled in from what it typed;
- a known household's records.

The same fields in each (those of the public form, plus each child's consents and authorised persons), so the
paper copies of one household read alike. No health, fiscal or bank data: the complete child sheet carries the
health data, under its own access rules.
"""

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.families.access import children_of
from enfance.families.application_forms import (
    ApplicationChildForm,
    ApplicationHouseholdForm,
    ChildFormSet,
    MainGuardianForm,
    SecondGuardianForm,
)
from enfance.families.applications import DOSSIER_CHECKLIST
from enfance.families.models import Child

from . import renderer
from .fields import model_rows, rows

CONSENTS = ["photo_consent", "may_leave_alone"]
WIDE = ("address_line1", "address_line2", "email", "employer_address")
BLANK_CHILDREN = ChildFormSet.extra  # as many as the public form offers
BLANK_PERSONS = 3


def _persons_table(persons=(), blank=0):
    roles = "   ".join(f"☐\u00a0{label}" for label in (_("chercher l'enfant"), _("urgence"), _("interdit")))
    return {
        "title": _("Personnes autorisées à venir chercher l'enfant, à prévenir en cas d'urgence, ou interdites"),
        "headers": [_("Nom et prénom"), _("Lien avec l'enfant"), _("Téléphones"), _("Rôle")],
        "widths": [3, 2.2, 2.6, 4.2],
        "rows": [[f"{p.first_name} {p.last_name}", p.relation, ", ".join(x for x in (p.phone, p.phone2) if x),
                  p.role_display] for p in persons] + [["", "", "", roles]] * blank,
    }


def _child_section(number, *, instance=None, raw=None, persons=None):
    fields = rows(ApplicationChildForm, instance=instance, raw=raw, wide=("school",))
    fields += model_rows(Child, CONSENTS, instance=instance)
    persons = list(persons or ())
    return {"title": _("Enfant %(n)s") % {"n": number}, "fields": fields,
            "tables": [_persons_table(persons, blank=0 if persons else BLANK_PERSONS)]}


def _guardian_sections(first=None, second=None, *, raw=False):
    """The two guardians' sections; first/second are records, or raw dicts when raw."""
    source = (lambda g: {"raw": g}) if raw else (lambda g: {"instance": g})
    return [
        {"title": _("Responsable"), "fields": rows(MainGuardianForm, wide=WIDE, **source(first))},
        {"title": _("Conjoint ou second responsable"),
         "intro": None if second else _("À remplir s'il y a un second responsable dans le foyer."),
         "fields": rows(SecondGuardianForm, wide=WIDE, **source(second))},
    ]


def _signature(names=()):
    signers = [_("Signature du responsable"), _("Signature du second responsable")]
    signers = [f"{label}\n{name}" if name else label for label, name in zip(signers, [*names, "", ""], strict=False)]
    return {
        "statements": [
            _("Je certifie exacts les renseignements de ce dossier et je signalerai tout changement à la mairie."),
            _("J'ai pris connaissance des conditions de fonctionnement des services et je les accepte."),
            _("En cas d'urgence, j'autorise l'équipe d'animation à appeler les secours et à faire pratiquer les "
              "soins nécessaires à mon enfant."),
        ],
        "place_date": _("Fait à ………………………………………………, le ……… / ……… / ………………"),
        "signers": signers,
    }


def _document(title, *, reference=None, intro, sections, names=()):
    data = {
        "title": title,
        "intro": intro,
        "checklist": {"title": _("Pièces à déposer en mairie avec ce dossier"),
                      "items": [capfirst(str(item)) for item in DOSSIER_CHECKLIST]},
        "sections": [{k: v for k, v in s.items() if v is not None} for s in sections],
        "signature": _signature(names),
    }
    if reference:
        data["reference"] = reference
    return data


def blank_data(online_url=""):
    intro = [_("Remplissez ce dossier en lettres capitales, signez-le et déposez-le en mairie avec les pièces "
               "demandées. Votre accès au Portail Famille est créé dès que la mairie l'a reçu.")]
    if online_url:
        intro.append(_("Vous pouvez aussi faire votre pré-inscription en ligne : %(url)s") % {"url": online_url})
    sections = [{"title": _("Adresse du foyer"), "fields": rows(ApplicationHouseholdForm, wide=WIDE)},
                *_guardian_sections(),
                *[_child_section(n) for n in range(1, BLANK_CHILDREN + 1)]]
    return _document(_("Fiche de pré-inscription d'une nouvelle famille"), intro=intro, sections=sections)


FILLED_INTRO = gettext_lazy("Vérifiez ces renseignements, corrigez-les ou complétez-les à la main si besoin, cochez et "
                 "signez en dernière page, puis déposez ce dossier en mairie.")


def family_data(family):
    guardians = {g.rank: g for g in family.guardians.all()}
    persons = {}
    for person in family.authorized_persons.all():  # the household's own, never the other household's
        persons.setdefault(person.child_id, []).append(person)
    children = list(children_of(family).order_by("birth_date", "first_name"))
    sections = [{"title": _("Adresse du foyer"), "fields": rows(ApplicationHouseholdForm, instance=family,
                                                                 wide=WIDE)},
                *_guardian_sections(guardians.get(1), guardians.get(2)),
                *[_child_section(n, instance=c, persons=persons.get(c.pk)) for n, c in enumerate(children, 1)]]
    return _document(_("Dossier d'inscription"), reference=_("Dossier n° %(ref)s") % {"ref": family.reference},
                     intro=[str(FILLED_INTRO)], sections=sections,
                     names=[f"{g.first_name} {g.last_name}" for _rank, g in sorted(guardians.items())])


def application_data(application):
    payload = application.payload
    guardians = payload.get("guardians") or [{}]
    sections = [{"title": _("Adresse du foyer"), "fields": rows(ApplicationHouseholdForm,
                                                                 raw=payload.get("household", {}), wide=WIDE)},
                *_guardian_sections(guardians[0], guardians[1] if len(guardians) > 1 else None, raw=True),
                *[_child_section(n, raw=c) for n, c in enumerate(payload.get("children", []), 1)]]
    received = timezone.localtime(application.created_at).strftime("%d/%m/%Y")
    return _document(_("Dossier d'inscription"),
                     reference=_("Pré-inscription n° %(id)s du %(date)s") % {"id": application.pk, "date": received},
                     intro=[str(FILLED_INTRO)], sections=sections,
                     names=[f"{g.get('first_name', '')} {g.get('last_name', '')}".strip() for g in guardians])


def render_blank(online_url=""):
    return renderer.Edition(renderer.render("dossier", blank_data(online_url)),
                            renderer.filename(_("fiche de pré-inscription")))


def render_family(family):
    return renderer.Edition(renderer.render("dossier", family_data(family)),
                            renderer.filename(_("dossier"), family.reference))


def render_application(application):
    return renderer.Edition(renderer.render("dossier", application_data(application)),
                            renderer.filename(_("pré-inscription"), application.pk))
