"""What the demo commune needs beyond household records: requests waiting for staff, a decided one,
a new household's application, and the service rules of the current school year."""

from django.contrib.auth import get_user_model

from enfance.changes import services as requests
from enfance.core.dates import school_year_start
from enfance.core.values import raw_from_instance
from enfance.rules import services as rules_services
from enfance.rules.models import Acknowledgement, ServiceRules

from . import categories, request_types
from .forms import GuardianForm, HealthRecordForm, TaxInfoForm
from .models import Family, NewHouseholdApplication

RULES_TEXT = """Article 1 – Inscription
L'accès aux services (restauration scolaire, accueil périscolaire, accueil de loisirs) suppose un dossier papier complet et signé, déposé en mairie, et l'acceptation des présentes conditions.

Article 2 – Réservations et absences
Les repas et les accueils se réservent sur le Portail Famille. Toute absence se signale au plus tôt ; une absence non signalée est facturée, sauf sur présentation d'un certificat médical.

Article 3 – Santé
Les allergies et traitements sont signalés dans les données sanitaires de l'enfant. Un projet d'accueil individualisé (PAI) est établi avec le médecin scolaire ; aucun médicament n'est donné sans ordonnance.

Article 4 – Sortie des enfants
Seuls les responsables et les personnes autorisées inscrites au dossier peuvent venir chercher l'enfant, sur présentation d'une pièce d'identité.

Article 5 – Facturation
Les factures sont mensuelles et tiennent compte du quotient familial. Elles se règlent auprès de la régie, par chèque, en espèces, par virement ou en CESU pour la garde.
"""


def _form(form_class, instance, **changes):
    data = raw_from_instance(instance, list(form_class._meta.fields))
    data.update(changes)
    form = form_class(data=data, instance=instance)
    assert form.is_valid(), form.errors
    return form


def populate(*, staff):
    User = get_user_model()
    martin = Family.objects.get(logins__username="famille.martin")
    benali = Family.objects.get(logins__username="famille.benali")
    claire = User.objects.get(username="famille.martin")
    benali_login = User.objects.get(username="famille.benali")

    # Waiting for staff: a new mobile number, and a child's health data.
    guardian = martin.guardians.get(rank=1)
    request_types.submit_form(user=claire, family=martin, category=categories.get("guardian1"),
                              form=_form(GuardianForm, guardian, mobile_phone="06 98 76 54 32"), kind="fields")
    hugo = martin.children.get(first_name="Hugo")
    request_types.submit_form(user=claire, family=martin, category=categories.get("health"), child=hugo,
                              kind="fields",
                              form=_form(HealthRecordForm, hugo.health, allergies="Arachide, fruits à coque"))
    # Already decided: a fiscal update the commune accepted.
    tax = benali.tax_info
    change = request_types.submit_form(
        user=benali_login, family=benali, category=categories.get("tax"), kind="fields",
        form=_form(TaxInfoForm, tax, reference_income=str(tax.reference_income + 1200)))
    requests.approve(change.pk, staff=staff, comment="Merci, votre avis d'imposition a bien été reçu.")

    NewHouseholdApplication.objects.create(
        contact_email="sophie.lambert@example.org",
        payload={
            "household": {"address_line1": "8 impasse des Mimosas", "address_line2": "", "postal_code": "83440",
                          "city": "Tourrettes", "home_phone": ""},
            "guardians": [{"civility": "MME", "last_name": "Lambert", "first_name": "Sophie", "birth_name": "",
                           "relation": "Mère", "email": "sophie.lambert@example.org",
                           "mobile_phone": "06 45 67 89 01", "work_phone": "", "profession": "Infirmière",
                           "employer": "", "employer_address": ""}],
            "children": [{"last_name": "Lambert", "first_name": "Noé", "birth_date": "2020-04-18", "sex": "M",
                          "school": "", "school_class": "", "diet": "standard"}],
        },
    )

    year = school_year_start().year
    rules = ServiceRules.objects.create(school_year=year, title="Conditions de fonctionnement des services enfance",
                                        text=RULES_TEXT)
    rules_services.publish(rules, actor=staff)
    # One household has already accepted them; the others are asked at their next login.
    Acknowledgement.objects.create(rules=rules, user=benali_login)
