"""The categories of household records, in one table.

Each category says what record it is about, which form edits it and how the
record is found from a household (and a child). Staff edit pages, the portal's
read pages and, later, change requests all walk this one table, so a new
category is added here once.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from enfance.core.text import de_name

from . import forms, models

FIELDS, LIST, FILE = "fields", "list", "file"
FAMILY, CHILD = "family", "child"


@dataclass(frozen=True)
class Category:
    key: str
    slug: str  # in URLs, in French
    label: str
    scope: str  # FAMILY or CHILD
    kind: str  # FIELDS (one record), LIST (items of a list), FILE (the photo)
    model: type
    form_class: type
    staff_form_class: type = None
    sensitive: bool = False  # health data: access is logged
    optional: bool = True  # may be missing (shown as "à compléter")

    @property
    def staff_form(self):
        return self.staff_form_class or self.form_class

    def get_instance(self, family=None, child=None):
        """The one record of a FIELDS or FILE category, or None when missing."""
        if self.key == "household":
            return family
        if self.key in ("guardian1", "guardian2"):
            rank = 1 if self.key == "guardian1" else 2
            return next((g for g in family.guardians.all() if g.rank == rank), None)
        if self.key in ("child", "photo"):
            return child
        owner = family if self.scope == FAMILY else child
        return self.model.objects.filter(**{self.scope: owner}).first()

    def record_query(self, family=None, child=None):
        """The one record of a FIELDS or FILE category as a queryset (to lock it), read from the database."""
        if self.key == "household":
            return models.Family.objects.filter(pk=family.pk)
        if self.key in ("guardian1", "guardian2"):
            return models.Guardian.objects.filter(family=family, rank=1 if self.key == "guardian1" else 2)
        if self.key in ("child", "photo"):
            return models.Child.objects.filter(pk=child.pk)
        owner = family if self.scope == FAMILY else child
        return self.model.objects.filter(**{self.scope: owner})

    def new_instance(self, family=None, child=None):
        if self.key in ("guardian1", "guardian2"):
            return models.Guardian(family=family, rank=1 if self.key == "guardian1" else 2)
        if self.key == "authorized_persons":
            return models.AuthorizedPerson(family=family, child=child)
        if self.scope == FAMILY:
            return self.model(family=family)
        return self.model(child=child)

    def items(self, family=None, child=None):
        """The items of a LIST category as the given household may see them."""
        if self.key == "authorized_persons":
            return models.AuthorizedPerson.objects.filter(family=family, child=child)
        return self.model.objects.filter(child=child)

    def build_form(self, *, staff, instance, data=None, files=None, child=None):
        form_class = self.staff_form if staff else self.form_class
        kwargs = {"data": data, "files": files, "instance": instance}
        if form_class in (forms.VaccinationForm,):
            kwargs["child"] = child
        return form_class(**kwargs)


CATEGORIES = [
    Category("household", "adresse", _("Adresse du foyer"), FAMILY, FIELDS, models.Family, forms.HouseholdForm,
             staff_form_class=forms.StaffHouseholdForm, optional=False),
    Category("guardian1", "responsable", _("Responsable"), FAMILY, FIELDS, models.Guardian, forms.GuardianForm, optional=False),
    Category("guardian2", "conjoint", _("Conjoint"), FAMILY, FIELDS, models.Guardian, forms.GuardianForm),
    Category("tax", "donnees-fiscales", _("Données fiscales"), FAMILY, FIELDS, models.TaxInfo, forms.TaxInfoForm),
    Category("caf", "caf", _("Données C.A.F."), FAMILY, FIELDS, models.CafInfo, forms.CafInfoForm),
    Category("bank", "coordonnees-bancaires", _("Coordonnées bancaires"), FAMILY, FIELDS, models.BankAccount, forms.BankAccountForm, staff_form_class=forms.StaffBankAccountForm),
    Category("authorized_persons", "personnes-autorisees", _("Personnes autorisées"), CHILD, LIST, models.AuthorizedPerson,
             forms.AuthorizedPersonForm),
    Category("child", "donnees-complementaires", _("Données complémentaires de l'enfant"), CHILD, FIELDS, models.Child, forms.ChildForm,
             optional=False),
    Category("health", "donnees-sanitaires", _("Données sanitaires"), CHILD, FIELDS, models.HealthRecord, forms.HealthRecordForm,
             sensitive=True),
    Category("vaccinations", "vaccinations", _("Vaccinations"), CHILD, LIST, models.Vaccination, forms.VaccinationForm,
             sensitive=True),
    Category("photo", "photo", _("Photo de l'enfant"), CHILD, FILE, models.Child, forms.PhotoForm),
]
BY_KEY = {c.key: c for c in CATEGORIES}
BY_SLUG = {c.slug: c for c in CATEGORIES}


def get(key):
    return BY_KEY[key]


def by_slug(slug, *, scope, kind=FIELDS):
    """The category named in a URL, or None when the slug does not name one of that scope and kind."""
    category = BY_SLUG.get(slug)
    if category is None or category.scope != scope or category.kind != kind:
        return None
    return category


def household_records(family):
    """The household's own records for its pages, by template name (from prefetched relations: no query)."""
    guardians = {g.rank: g for g in family.guardians.all()}
    return {
        "guardian1": guardians.get(1),
        "guardian2": guardians.get(2),
        "tax": related_or_none(family, "tax_info"),
        "caf": related_or_none(family, "caf_info"),
        "bank": related_or_none(family, "bank_account"),
    }


def missing_items(family, children):
    """What is still missing from a household's record, in words a family understands.

    Uses only the household's prefetched guardians and one-to-one records, and the children's columns of
    access.children_summary (no query).
    """
    missing = []
    guardians = {g.rank for g in family.guardians.all()}
    if 1 not in guardians:
        missing.append(_("le responsable du foyer"))
    if not has_related(family, "tax_info"):
        missing.append(_("les données fiscales"))
    if not has_related(family, "caf_info"):
        missing.append(_("les données C.A.F."))
    if not has_related(family, "bank_account"):
        missing.append(_("les coordonnées bancaires"))
    for child in children:
        if not child.has_health:
            missing.append(_("les données sanitaires %(of_name)s") % {"of_name": de_name(child.first_name)})
        if not child.photo:
            missing.append(_("la photo %(of_name)s") % {"of_name": de_name(child.first_name)})
        if not child.has_own_persons:
            missing.append(_("les personnes autorisées pour %(name)s") % {"name": child.first_name})
    return missing


def has_related(obj, attr):
    try:
        getattr(obj, attr)
    except models.models.ObjectDoesNotExist:
        return False
    return True


def related_or_none(obj, attr):
    """A one-to-one record that may be missing (the household's tax data, the child's health record)."""
    return getattr(obj, attr) if has_related(obj, attr) else None
