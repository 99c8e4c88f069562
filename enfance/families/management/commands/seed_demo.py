"""`manage.py seed_demo [--if-empty]`: a believable demo commune (Tourrettes, Var, 83440).

About thirty households with one to four children, complete and incomplete
records, a few archived households and a few whose paper dossier has not
arrived yet, plus the fixed demo logins listed in DEMO_LOGINS (and in the
README), then the activities in use around today: registrations, a month of
bookings, a full Wednesday with its waiting list, absences and attendance
(enfance.activities.demo). Everything is drawn from a seeded random
generator: the same day gives the same commune.

Records are written directly (one transaction) rather than through the
services, which would write one audit entry per field; each household gets a
single "created" entry in its audit trail instead.
"""

import datetime
import io
import random
import unicodedata
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from schwifty import IBAN

from enfance.accounts.models import User
from enfance.activities import demo as activities_demo
from enfance.billing import demo as billing_demo
from enfance.core import audit
from enfance.core.dates import school_year_start, today
from enfance.core.models import AuditEntry
from enfance.families import demo
from enfance.families import services as family_services
from enfance.families.models import (
    AuthorizedPerson,
    BankAccount,
    CafInfo,
    Child,
    ChildLink,
    Family,
    Guardian,
    HealthRecord,
    TaxInfo,
    Vaccination,
)
from enfance.messaging import demo as messaging_demo
from enfance.payments import demo as payments_demo

SEED = 83440

# (username, password, role, who) — printed by `manage.py demo_logins`, listed in the README.
DEMO_LOGINS = [
    ("agent", "Agent-Demo-2026", User.Role.AGENT, "Agent du service enfance (back office)"),
    ("admin", "Admin-Demo-2026", User.Role.ADMIN, "Administrateur (paramètres, comptes du personnel)"),
    ("animateur", "Animateur-Demo-2026", User.Role.LEADER, "Animateur (lecture seule)"),
    ("famille.martin", "Martin-Demo-2026", User.Role.FAMILY, "Foyer Martin (Claire Martin), dossier complet"),
    ("m.martin", "Martin2-Demo-2026", User.Role.FAMILY, "Foyer Martin, second identifiant (Thomas Martin)"),
    ("famille.benali", "Benali-Demo-2026", User.Role.FAMILY, "Foyer Benali, enfant avec PAI"),
    ("famille.roux", "Roux-Demo-2026", User.Role.FAMILY, "Foyer Roux (père), garde partagée de Lucas"),
    ("famille.garnier", "Garnier-Demo-2026", User.Role.FAMILY, "Foyer Garnier (mère), garde partagée de Lucas"),
]
DEMO_REFERENCES = ["F00001", "F00002", "F00003", "F00004"]

# --- shared pools (generate_commune uses them too) --------------------------------
STREETS = {
    "Tourrettes": [
        "chemin de la Rouvière", "route de Fayence", "chemin des Moulins", "avenue du Château",
        "place de la Mairie", "chemin de Saint-Pierre", "route de Montauroux", "chemin du Plan",
        "chemin des Oliviers", "impasse des Cigales", "chemin de la Fontaine", "chemin des Faïsses",
        "rue du Portail", "chemin de Terres Blanches", "chemin des Lavandes", "montée du Vieux Village",
    ],
    "Fayence": [
        "rue de la République", "boulevard du Puits Neuf", "chemin de la Ferrage", "route de Seillans",
        "avenue Saint-Christophe", "chemin du Bourigaille", "rue des Remparts", "chemin des Selves",
    ],
    "Montauroux": [
        "chemin de Narbonne", "route de Callian", "avenue Saint-Barthélemy", "chemin du Lac",
        "chemin des Eguières", "rue de l'Église", "chemin de la Barrière", "quartier Les Estérets",
    ],
}
CITY_WEIGHTS = [("Tourrettes", 60), ("Fayence", 25), ("Montauroux", 15)]
POSTAL_CODE = "83440"

SURNAMES = [
    "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Vincent", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Blanc", "Guérin", "Muller", "Henry",
    "Faure", "André", "Mercier", "Chevalier", "Giraud", "Nguyen", "Da Silva", "Ferrari", "Rossi",
    "Bouvier", "Olivier", "Arnaud", "Maurel", "Audibert", "Pellegrin", "Ricard", "Isnard", "Gueit",
    "Bourdon", "Roche", "Colin", "Meunier", "Barbier", "Perrin", "Lopez", "Martinez", "Rolland",
    "Castel", "Boyer", "Aubert", "Brun", "Lemaire", "Collet", "Mathieu", "Gauthier", "Hamon",
    "Ferrand", "Renaud", "Baron", "Carpentier", "Benoît", "Marchand", "Dumont", "Fabre", "Roussel",
    "Haddad", "Mendes", "Ortiz", "Kowalski", "Diallo", "Lemoine", "Cordier", "Jourdan", "Pascal",
]
WOMEN = [
    "Julie", "Aurélie", "Céline", "Émilie", "Sandrine", "Stéphanie", "Élodie", "Marion", "Camille",
    "Laure", "Sophie", "Nathalie", "Claire", "Anaïs", "Mélanie", "Virginie", "Caroline", "Audrey",
    "Pauline", "Sarah", "Laetitia", "Amandine", "Delphine", "Hélène", "Fatima", "Sonia", "Vanessa",
]
MEN = [
    "Nicolas", "Julien", "Sébastien", "Guillaume", "Mathieu", "Romain", "Jérôme", "Christophe",
    "Fabien", "Olivier", "David", "Thomas", "Antoine", "Maxime", "Cédric", "Florian", "Arnaud",
    "Benjamin", "Yannick", "Laurent", "Vincent", "Mickaël", "Alexandre", "Karim", "Rémi", "Damien",
]
GIRLS = [
    "Jade", "Louise", "Emma", "Alice", "Ambre", "Lina", "Rose", "Chloé", "Léa", "Mia", "Anna", "Inès",
    "Julia", "Mila", "Léna", "Zoé", "Manon", "Camille", "Lou", "Romane", "Agathe", "Nina", "Éva",
    "Margaux", "Juliette", "Clémence", "Lucie", "Sofia", "Iris", "Capucine",
]
BOYS = [
    "Gabriel", "Léo", "Raphaël", "Louis", "Arthur", "Jules", "Maël", "Adam", "Hugo", "Lucas", "Noah",
    "Sacha", "Tom", "Nathan", "Paul", "Léon", "Gabin", "Timéo", "Ethan", "Nolan", "Mathis", "Axel",
    "Marius", "Éliott", "Victor", "Aaron", "Enzo", "Théo", "Baptiste", "Malo",
]
PROFESSIONS = [
    ("Infirmière", "Centre hospitalier de Draguignan"), ("Professeur des écoles", "Éducation nationale"),
    ("Agent immobilier", "Agence du Pays de Fayence"), ("Maçon", "Entreprise Isnard BTP"),
    ("Comptable", "Cabinet Audibert et associés"), ("Aide-soignante", "EHPAD Les Oliviers"),
    ("Électricien", "Var Élec Services"), ("Commerciale", "Intermarché Fayence"),
    ("Artisan boulanger", ""), ("Développeur", "Sophia Antipolis Software"), ("Vendeuse", "Golf de Terre Blanche"),
    ("Gendarme", "Gendarmerie nationale"), ("Agricultrice", ""), ("Cuisinier", "Hôtel Terre Blanche"),
    ("Secrétaire médicale", "Cabinet médical de Fayence"), ("Sans profession", ""), ("Pompier", "SDIS 83"),
    ("Architecte", ""), ("Chauffeur", "Transports Varlib"), ("Employée de mairie", "Mairie de Montauroux"),
]
DOCTORS = [
    ("Dr Isnard", "04 94 76 02 11"), ("Dr Lambert-Ricci", "04 94 76 18 40"), ("Dr Fabre", "04 94 47 72 05"),
    ("Dr Nguyen", "04 94 39 11 62"), ("Dr Castellan", "04 94 76 00 93"), ("Maison de santé de Fayence", "04 94 84 10 20"),
]
ALLERGIES = [
    "Arachide", "Fruits à coque", "Protéines de lait de vache", "Œuf", "Pollen de graminées",
    "Pénicilline", "Kiwi", "Poisson", "Piqûres de guêpe",
]
RELATIONS = [
    ("Grand-mère", "MME"), ("Grand-père", "M"), ("Tante", "MME"), ("Oncle", "M"), ("Voisine", "MME"),
    ("Assistante maternelle", "MME"), ("Parrain", "M"), ("Marraine", "MME"), ("Amie de la famille", "MME"),
]
# (bank code, BIC): banks with branches around Fayence.
BANKS = [
    ("19106", "AGRIFRPP891"), ("11315", "CEPAFRPP131"), ("20041", "PSSTFRPPMAR"), ("30004", "BNPAFRPP"),
    ("30003", "SOGEFRPP"), ("10278", "CMCIFR2A"), ("16607", "CCBPFRPPMAR"), ("30002", "CRLYFRPP"),
]
CLASSES = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e", "5e"]
MATERNELLE = "École maternelle Les Oliviers"
PRIMAIRE = "École primaire de Tourrettes"
OTHER_SCHOOLS = {
    "Fayence": ("École maternelle de Fayence", "École élémentaire de Fayence"),
    "Montauroux": ("École maternelle Les Mimosas (Montauroux)", "École élémentaire de Montauroux"),
}
COLLEGE = "Collège Marie Mauron (Fayence)"
# (label, age in months) of the French schedule; later ones only once the child is old enough.
VACCINES = [
    ("DTCaP-Hib-Hépatite B (1re dose)", 2), ("Pneumocoque (1re dose)", 2),
    ("DTCaP-Hib-Hépatite B (2e dose)", 4), ("Pneumocoque (2e dose)", 4), ("Méningocoque C", 5),
    ("DTCaP-Hib-Hépatite B (rappel)", 11), ("Pneumocoque (rappel)", 11), ("ROR (1re dose)", 12),
    ("Méningocoque C (rappel)", 12), ("ROR (2e dose)", 16), ("DTCaP (rappel 6 ans)", 72),
]


def school_and_class(birth_date, city="Tourrettes", rng=None, school_year=None):
    """The class a child born on that date is in this school year (French cohorts are by calendar year)."""
    year = (school_year or school_year_start()).year
    level = year - birth_date.year - 3
    if level < 0:
        return "", ""
    if level >= len(CLASSES):
        return "", ""
    local = city in OTHER_SCHOOLS and rng is not None and rng.random() < 0.4
    if level <= 2:
        school = OTHER_SCHOOLS[city][0] if local else MATERNELLE
    elif level <= 7:
        school = OTHER_SCHOOLS[city][1] if local else PRIMAIRE
    else:
        school = COLLEGE
    return school, CLASSES[level]


def mobile(rng):
    return f"0{rng.choice('67')} " + " ".join(f"{rng.randrange(100):02d}" for _ in range(4))


def landline(rng):
    return "04 94 " + " ".join(f"{rng.randrange(100):02d}" for _ in range(3))


def ascii_slug(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def email_for(first, last, domain="example.org"):
    return f"{ascii_slug(first)}.{ascii_slug(last).replace('-', '')}@{domain}"


def french_iban(rng, bank_code, number):
    """A valid French IBAN (RIB key and IBAN check digits computed by schwifty)."""
    branch = f"{rng.randrange(1, 99999):05d}"
    return IBAN.generate("FR", bank_code=bank_code, branch_code=branch, account_code=f"{number:011d}").compact


def tax_shares(couple, n_children):
    shares = Decimal(2 if couple else 1)
    for i in range(n_children):
        shares += Decimal("0.5") if i < 2 else Decimal(1)
    if not couple and n_children:
        shares += Decimal("0.5")  # parent isolé
    return shares


def vaccinations_for(child, rng, *, complete=True):
    days = today()
    result = []
    for vaccine, months in VACCINES:
        year, month = divmod(child.birth_date.month - 1 + months, 12)
        date = datetime.date(child.birth_date.year + year, month + 1, min(child.birth_date.day, 28))
        date += datetime.timedelta(days=rng.randrange(0, 20))
        if date >= days:
            break
        result.append(Vaccination(child=child, vaccine=vaccine, date=date))
    if not complete and result:
        result = result[: rng.randrange(1, len(result) + 1)]
    return result


PHOTO_COLOURS = ["#2b6cb0", "#2f855a", "#b7791f", "#9b2c2c", "#6b46c1", "#2c7a7b", "#97266d"]


def avatar_jpeg(initials, colour):
    """A small placeholder portrait: the child's initials on a coloured background."""
    image = Image.new("RGB", (240, 300), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 40, 180, 160), fill="#f7fafc")
    draw.rounded_rectangle((30, 170, 210, 320), radius=60, fill="#f7fafc")
    font = ImageFont.load_default(size=56)
    draw.text((120, 100), initials, fill=colour, font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


class Builder:
    """Writes one household at a time; keeps the generator and the password hashes."""

    def __init__(self, rng):
        self.rng = rng
        self.today = today()
        self.school_year = school_year_start(self.today)
        self.photos = []  # (child, colour) saved after the transaction's inserts
        self.counts = {"families": 0, "children": 0, "logins": 0}
        self.account_number = 40_000_000

    def family(self, reference, *, address, city, home_phone="", received=True, received_on=None):
        family = Family.objects.create(
            reference=reference,
            address_line1=address,
            postal_code=POSTAL_CODE,
            city=city,
            home_phone=home_phone,
            dossier_received_on=(received_on or self.today - datetime.timedelta(days=self.rng.randrange(20, 500)))
            if received else None,
        )
        self.counts["families"] += 1
        return family

    def guardian(self, family, rank, civility, first, last, **extra):
        extra.setdefault("email", email_for(first, last))
        extra.setdefault("mobile_phone", mobile(self.rng))
        extra.setdefault("relation", ("Mère" if civility == "MME" else "Père"))
        return Guardian.objects.create(family=family, rank=rank, civility=civility, first_name=first,
                                       last_name=last, **extra)

    def child(self, families, first, last, birth_date, sex, *, city="Tourrettes", photo=True, **extra):
        school, school_class = school_and_class(birth_date, city, self.rng, self.school_year)
        extra.setdefault("school", school)
        extra.setdefault("school_class", school_class)
        child = Child.objects.create(first_name=first, last_name=last, birth_date=birth_date, sex=sex, **extra)
        for family in families:
            ChildLink.objects.create(family=family, child=child, since=family.dossier_received_on)
        if photo:
            self.photos.append((child, self.rng.choice(PHOTO_COLOURS)))
        self.counts["children"] += 1
        return child

    def login(self, username, family, guardian, password=None, *, active=True):
        user = User(username=username, role=User.Role.FAMILY, family=family, guardian=guardian,
                    email=guardian.email, first_name=guardian.first_name, last_name=guardian.last_name,
                    is_active=active)
        if password:
            user.password = make_password(password, hasher="argon2")
        else:
            user.set_unusable_password()  # invited, activation link not used yet
        user.save()
        self.counts["logins"] += 1
        return user

    def bank(self, family, holder, bank_index=None, *, mandate=True):
        code, bic = BANKS[bank_index if bank_index is not None else self.rng.randrange(len(BANKS))]
        self.account_number += self.rng.randrange(1, 9999)
        signed = self.today - datetime.timedelta(days=self.rng.randrange(30, 700)) if mandate else None
        return BankAccount.objects.create(
            family=family, holder=holder, iban=french_iban(self.rng, code, self.account_number), bic=bic,
            mandate_reference=f"TOURRETTES-ENF-{family.reference}" if mandate else "",
            mandate_signed_on=signed,
        )

    def tax_and_caf(self, family, *, couple, n_children, income, caf=True, regime="CAF"):
        shares = tax_shares(couple, n_children)
        TaxInfo.objects.create(family=family, year=self.today.year - 1, reference_income=Decimal(income),
                               tax_shares=shares)
        if caf:
            quotient = int(Decimal(income) / 12 / shares)
            CafInfo.objects.create(
                family=family, regime=regime, allocataire_number=f"{self.rng.randrange(1_000_000, 9_999_999)}",
                quotient=quotient, quotient_valid_from=datetime.date(self.today.year, 1, 1),
            )

    def save_photos(self):
        for child, colour in self.photos:
            initials = (child.first_name[:1] + child.last_name[:1]).upper()
            child.photo.save(f"child-{child.pk}-demo.jpg", ContentFile(avatar_jpeg(initials, colour)), save=False)
            Child.objects.filter(pk=child.pk).update(photo=child.photo.name)

    def audit_created(self, family):
        audit.record(actor=None, action=AuditEntry.Action.CREATE, obj=family, family=family,
                     changes=audit.diff({}, audit.snapshot(family)), note="Données de démonstration")


class Command(BaseCommand):
    help = "Crée une commune de démonstration (Tourrettes, Var) avec ses identifiants de démonstration."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Ne rien faire si la base contient déjà des foyers.")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Family.objects.exists():
            return
        taken = sorted(
            set(User.objects.filter(username__in=[u for u, *_ in DEMO_LOGINS]).values_list("username", flat=True))
            | set(Family.objects.filter(reference__in=DEMO_REFERENCES).values_list("reference", flat=True))
        )
        if taken:
            raise CommandError(
                "La commune de démonstration existe déjà (" + ", ".join(taken) + ") : "
                "utilisez --if-empty pour ne rien faire dans ce cas, ou repartez d'une base vide."
            )
        builder = Builder(random.Random(SEED))
        with transaction.atomic():
            self.staff()
            self.fixed_households(builder)
            self.random_households(builder, start=len(DEMO_REFERENCES) + 1, count=26)
            # The demo typed its own references: new households continue after them.
            family_services.move_reference_counter_past_existing()
            builder.save_photos()
            demo.populate(staff=User.objects.get(username="agent"))
            messaging_demo.populate(staff=User.objects.get(username="agent"))
            activities_demo.populate(staff=User.objects.get(username="agent"))
            billing_demo.populate(staff=User.objects.get(username="agent"))
            payments_demo.populate()
        if options["verbosity"] >= 1:
            c = builder.counts
            self.stdout.write(
                f"Commune de démonstration créée : {c['families']} foyers, {c['children']} enfants, "
                f"{c['logins']} identifiants famille."
            )

    # --- staff -------------------------------------------------------------------
    def staff(self):
        people = {
            "agent": ("Sandrine", "Giraud", "enfance@example.org"),
            "admin": ("Patrick", "Audibert", "informatique@example.org"),
            "animateur": ("Kévin", "Ricard", "centre-de-loisirs@example.org"),
        }
        for username, password, role, _label in DEMO_LOGINS:
            if role == User.Role.FAMILY:
                continue
            first, last, email = people[username]
            User.objects.create(username=username, role=role, first_name=first, last_name=last, email=email,
                                password=make_password(password, hasher="argon2"))

    # --- the fixed households of the README -----------------------------------------
    def fixed_households(self, b):
        passwords = {u: p for u, p, *_ in DEMO_LOGINS}
        sy = b.school_year.year

        # Martin: complete records, two children, two logins (one per guardian).
        f = b.family("F00001", address="14 chemin des Oliviers", city="Tourrettes", home_phone="04 94 76 12 34",
                     received_on=datetime.date(sy, 6, 18))
        claire = b.guardian(f, 1, "MME", "Claire", "Martin", birth_name="Dumas", mobile_phone="06 12 34 56 78",
                            work_phone="04 94 76 40 10", profession="Pharmacienne", employer="Pharmacie de Fayence",
                            employer_address="2 place de la République, 83440 Fayence")
        thomas = b.guardian(f, 2, "M", "Thomas", "Martin", mobile_phone="06 23 45 67 89",
                            profession="Technicien", employer="Régie des eaux du Pays de Fayence")
        b.login("famille.martin", f, claire, passwords["famille.martin"])
        b.login("m.martin", f, thomas, passwords["m.martin"])
        lea = b.child([f], "Léa", "Martin", datetime.date(sy - 8, 3, 14), "F", photo_consent=True)
        hugo = b.child([f], "Hugo", "Martin", datetime.date(sy - 5, 6, 2), "M", photo_consent=True)
        HealthRecord.objects.create(child=lea, doctor_name="Dr Isnard", doctor_phone="04 94 76 02 11")
        HealthRecord.objects.create(child=hugo, doctor_name="Dr Isnard", doctor_phone="04 94 76 02 11",
                                    allergies="Kiwi, fruits à coque (réaction cutanée, pas de choc)",
                                    notes="Éviction simple des fruits à coque au goûter.")
        for kid in (lea, hugo):
            Vaccination.objects.bulk_create(vaccinations_for(kid, b.rng))
            AuthorizedPerson.objects.create(family=f, child=kid, last_name="Dumas", first_name="Jacqueline",
                                            relation="Grand-mère", phone="06 81 22 33 44", is_emergency_contact=True)
            AuthorizedPerson.objects.create(family=f, child=kid, last_name="Martin", first_name="Pierre",
                                            relation="Grand-père", phone="06 72 11 90 05")
        b.tax_and_caf(f, couple=True, n_children=2, income="58420.00")
        b.bank(f, "Claire Martin", 0)
        b.audit_created(f)

        # Benali: complete records, a child with a PAI.
        f = b.family("F00002", address="8 rue de la République", city="Fayence", home_phone="04 94 84 55 21",
                     received_on=datetime.date(sy, 7, 2))
        nadia = b.guardian(f, 1, "MME", "Nadia", "Benali", birth_name="Haddad", mobile_phone="06 45 12 78 90",
                           profession="Comptable", employer="Cabinet Audibert et associés",
                           employer_address="15 boulevard Clemenceau, 83300 Draguignan")
        b.guardian(f, 2, "M", "Karim", "Benali", mobile_phone="07 61 23 45 02", profession="Électricien",
                   employer="Benali Électricité")
        b.login("famille.benali", f, nadia, passwords["famille.benali"])
        ines = b.child([f], "Inès", "Benali", datetime.date(sy - 9, 9, 21), "F", photo_consent=True,
                       may_leave_alone=True)
        yanis = b.child([f], "Yanis", "Benali", datetime.date(sy - 7, 11, 5), "M", photo_consent=False)
        HealthRecord.objects.create(
            child=ines, doctor_name="Dr Fabre", doctor_phone="04 94 47 72 05", has_pai=True,
            pai_details="Asthme : trousse PAI (Ventoline, chambre d'inhalation) dans le cartable et à l'accueil "
                        "périscolaire. En cas de crise : 2 bouffées, prévenir les parents, 15 si pas d'amélioration.",
            treatments="Ventoline 100 µg à la demande",
        )
        HealthRecord.objects.create(child=yanis, doctor_name="Dr Fabre", doctor_phone="04 94 47 72 05",
                                    notes="Porte des lunettes.")
        for kid in (ines, yanis):
            Vaccination.objects.bulk_create(vaccinations_for(kid, b.rng))
            AuthorizedPerson.objects.create(family=f, child=kid, last_name="Haddad", first_name="Samia",
                                            relation="Tante", phone="06 50 40 30 20", is_emergency_contact=True)
        b.tax_and_caf(f, couple=True, n_children=2, income="41250.00")
        b.bank(f, "Nadia et Karim Benali", 1)
        b.audit_created(f)

        # Shared custody: Lucas lives one week with his father (Roux), one week with his mother (Garnier).
        roux = b.family("F00003", address="5 chemin des Moulins", city="Tourrettes",
                        received_on=datetime.date(sy, 6, 25))
        julien = b.guardian(roux, 1, "M", "Julien", "Roux", mobile_phone="06 33 44 55 66",
                            profession="Maçon", employer="Entreprise Isnard BTP")
        b.login("famille.roux", roux, julien, passwords["famille.roux"])
        garnier = b.family("F00004", address="112 chemin de Narbonne", city="Montauroux",
                           home_phone="04 94 47 60 18", received_on=datetime.date(sy, 6, 27))
        emilie = b.guardian(garnier, 1, "MME", "Émilie", "Garnier", mobile_phone="06 77 88 99 00",
                            profession="Professeure de yoga", relation="Mère")
        b.guardian(garnier, 2, "M", "Sébastien", "Morel", mobile_phone="06 14 25 36 47", relation="Beau-père",
                   profession="Cuisinier", employer="Hôtel Terre Blanche")
        b.login("famille.garnier", garnier, emilie, passwords["famille.garnier"])
        lucas = b.child([roux, garnier], "Lucas", "Roux", datetime.date(sy - 10, 4, 9), "M",
                        photo_consent=True, may_leave_alone=True, diet=Child.Diet.NO_PORK)
        HealthRecord.objects.create(child=lucas, doctor_name="Dr Nguyen", doctor_phone="04 94 39 11 62",
                                    allergies="Pollen de graminées (rhinite au printemps)")
        Vaccination.objects.bulk_create(vaccinations_for(lucas, b.rng))
        zoe = b.child([garnier], "Zoé", "Morel", datetime.date(sy - 4, 5, 17), "F", city="Montauroux",
                      school=MATERNELLE, school_class="MS", photo_consent=True)
        HealthRecord.objects.create(child=zoe, doctor_name="Dr Nguyen", doctor_phone="04 94 39 11 62")
        Vaccination.objects.bulk_create(vaccinations_for(zoe, b.rng))
        AuthorizedPerson.objects.create(family=roux, child=lucas, last_name="Roux", first_name="Monique",
                                        relation="Grand-mère paternelle", phone="06 09 18 27 36",
                                        is_emergency_contact=True)
        for kid in (lucas, zoe):
            AuthorizedPerson.objects.create(family=garnier, child=kid, last_name="Garnier", first_name="Martine",
                                            relation="Grand-mère maternelle", phone="06 98 87 76 65",
                                            is_emergency_contact=True)
        AuthorizedPerson.objects.create(
            family=garnier, child=lucas, last_name="Roux", first_name="Julien",
            relation="Père (en dehors de ses semaines de garde)", phone="06 33 44 55 66",
            can_pick_up=False, is_forbidden=True,
        )
        b.tax_and_caf(roux, couple=False, n_children=1, income="29800.00")
        b.bank(roux, "Julien Roux", 3)
        b.tax_and_caf(garnier, couple=True, n_children=2, income="47300.00")
        b.bank(garnier, "Émilie Garnier", 2)
        b.audit_created(roux)
        b.audit_created(garnier)

    # --- the rest of the commune -----------------------------------------------------
    def random_households(self, b, *, start, count):
        rng = b.rng
        reserved = {"Martin", "Benali", "Roux", "Garnier", "Morel", "Dumas", "Haddad"}
        surnames = [s for s in SURNAMES if s not in reserved]
        rng.shuffle(surnames)
        # Indices (among the random households) of the special cases, fixed by the seed.
        special = rng.sample(range(count), 6)
        archived, not_received = set(special[:3]), set(special[3:])
        usernames = set(User.objects.values_list("username", flat=True))
        for i in range(count):
            reference = f"F{start + i:05d}"
            name = surnames.pop()
            city = rng.choices([c for c, _ in CITY_WEIGHTS], [w for _, w in CITY_WEIGHTS])[0]
            received = i not in not_received
            family = b.family(
                reference,
                address=f"{rng.randrange(1, 140)} {rng.choice(STREETS[city])}",
                city=city,
                home_phone=landline(rng) if rng.random() < 0.5 else "",
                received=received,
            )
            couple = rng.random() < 0.75
            mother_first = rng.choice(WOMEN)
            main_is_mother = rng.random() < 0.75
            job = rng.choice(PROFESSIONS)
            if main_is_mother or couple:
                first, civility = mother_first, "MME"
            else:
                first, civility = rng.choice(MEN), "M"
            g1 = b.guardian(family, 1, civility, first, name, profession=job[0], employer=job[1],
                            work_phone=landline(rng) if job[1] and rng.random() < 0.4 else "")
            if couple:
                partner_name = name if rng.random() < 0.7 else surnames.pop()
                job2 = rng.choice(PROFESSIONS)
                b.guardian(family, 2, "M", rng.choice(MEN), partner_name, profession=job2[0], employer=job2[1])
            # Children: one to four, born three to twelve years before this school year.
            n_children = rng.choices([1, 2, 3, 4], [35, 40, 18, 7])[0]
            years = sorted(rng.sample(range(b.school_year.year - 12, b.school_year.year - 2), n_children))
            kids = []
            for year in years:
                sex = rng.choice("FM")
                birth = datetime.date(year, rng.randrange(1, 13), rng.randrange(1, 29))
                age = b.today.year - birth.year
                diet = rng.choices(list(Child.Diet), [76, 12, 10, 2])[0]
                kid = b.child(
                    [family], rng.choice(GIRLS if sex == "F" else BOYS), name, birth, sex, city=city,
                    photo=rng.random() < 0.5, diet=diet, photo_consent=rng.random() < 0.8,
                    may_leave_alone=age >= 9 and rng.random() < 0.5,
                )
                kids.append(kid)
                if rng.random() < 0.9:  # some health records still missing
                    doctor = rng.choice(DOCTORS)
                    allergy = ", ".join(rng.sample(ALLERGIES, rng.randrange(1, 3))) if rng.random() < 0.15 else ""
                    pai = diet == Child.Diet.PACKED_LUNCH or rng.random() < 0.04
                    HealthRecord.objects.create(
                        child=kid, doctor_name=doctor[0], doctor_phone=doctor[1], allergies=allergy,
                        has_pai=pai,
                        pai_details="Allergie alimentaire sévère : panier repas, trousse d'urgence (adrénaline)."
                        if pai else "",
                        treatments="Ventoline à la demande" if rng.random() < 0.05 else "",
                        notes=rng.choice(["", "", "", "Porte des lunettes.", "Asthme d'effort.", "Appareil dentaire."]),
                    )
                if rng.random() < 0.8:  # some vaccination records missing or partial
                    Vaccination.objects.bulk_create(vaccinations_for(kid, rng, complete=rng.random() < 0.8))
            if rng.random() < 0.85:
                helpers = rng.sample(RELATIONS, rng.randrange(1, 3))
                helper_names = [(rng.choice(surnames[:20] + [name]), rng.choice(WOMEN if c == "MME" else MEN))
                                for _, c in helpers]
                for kid in kids:
                    for (relation, _c), (last, first_h) in zip(helpers, helper_names, strict=True):
                        AuthorizedPerson.objects.create(
                            family=family, child=kid, last_name=last, first_name=first_h, relation=relation,
                            phone=mobile(rng), is_emergency_contact=relation.startswith("Grand"),
                        )
            if received and rng.random() < 0.85:
                income = f"{rng.randrange(11_000, 96_000)}.00"
                regime = rng.choices(["CAF", "MSA", "AUTRE"], [85, 10, 5])[0]
                b.tax_and_caf(family, couple=couple, n_children=n_children, income=income,
                              caf=rng.random() < 0.85, regime=regime)
            if received and rng.random() < 0.65:
                b.bank(family, f"{g1.first_name} {g1.last_name}", mandate=rng.random() < 0.7)
            if received and rng.random() < 0.8:
                username = "famille." + ascii_slug(name)
                n = 1
                while username in usernames:
                    n += 1
                    username = f"famille.{ascii_slug(name)}{n}"
                usernames.add(username)
                b.login(username, family, g1, active=i not in archived)
            b.audit_created(family)
            if i in archived:
                family.archived_at = timezone.now() - datetime.timedelta(days=rng.randrange(30, 400))
                family.archive_reason = "Déménagement hors de la commune"
                family.save(update_fields=["archived_at", "archive_reason"])
                family.logins.update(is_active=False)
