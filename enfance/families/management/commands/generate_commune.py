"""`manage.py generate_commune --families N [--seed S]`: a large, realistic commune for benchmarks.

Households (references G000001, G000002, ...), one or two guardians, one
family login per household (`gen.<reference>`, password Bench-Password-2026,
one Argon2 hash computed once and shared, so that hashing does not dominate),
one to four children with health records and vaccinations, authorised
persons, fiscal, CAF and bank data, a few shared-custody children and a few
archived households; in every household's inbox the commune's two broadcasts, and
in about a third of them conversations with the town hall (a 20-message one in the
households of four children or more, which the portal benchmark picks); the usual catalogue of activities
(activities.catalogue) and most pupils of the two Tourrettes schools registered to their school's canteen
for the school year. Written with bulk_create in batches, one transaction per
batch; the primary keys come back from the INSERT (RETURNING, PostgreSQL and
SQLite 3.35+). No audit entries: this is bench data, not someone's change.
"""

import datetime
import random
import time
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone
from schwifty import IBAN

from enfance.accounts.models import User
from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import CalendarPeriod, Registration
from enfance.core.dates import school_year_start, today
from enfance.families.management.commands.seed_demo import (
    ALLERGIES,
    BANKS,
    BOYS,
    CITY_WEIGHTS,
    DOCTORS,
    GIRLS,
    MEN,
    POSTAL_CODE,
    PROFESSIONS,
    RELATIONS,
    STREETS,
    SURNAMES,
    VACCINES,
    WOMEN,
    ascii_slug,
    school_and_class,
    tax_shares,
)
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
from enfance.messaging.models import Broadcast, Message, Thread, ThreadRead, Topic

PASSWORD = "Bench-Password-2026"
PREFIX = "G"
DIGITS = 6


class Command(BaseCommand):
    help = "Génère une grande commune réaliste (foyers G…, identifiants gen.<référence>) pour les mesures."

    def add_arguments(self, parser):
        parser.add_argument("--families", type=int, required=True, help="Nombre de foyers à créer.")
        parser.add_argument("--seed", type=int, default=1, help="Graine du générateur (résultat reproductible).")
        parser.add_argument("--batch-size", type=int, default=2000, help="Foyers écrits par transaction.")

    def handle(self, *args, families, seed, batch_size, **options):
        if families < 1:
            raise CommandError("--families doit être un entier positif.")
        if not connection.features.can_return_rows_from_bulk_insert:
            raise CommandError("Cette base ne renvoie pas les identifiants d'un INSERT groupé "
                               "(PostgreSQL, ou SQLite 3.35 et plus, sont nécessaires).")
        started = time.perf_counter()
        # Its own generator for the activities: the households drawn are those of the runs before them.
        generator = Generator(random.Random(seed), make_password(PASSWORD, hasher="argon2"),
                              activities_rng=random.Random(f"activities-{seed}"))
        first = self.next_number()
        if first + families > 10**DIGITS:
            raise CommandError(f"Plus de {10**DIGITS - 1} foyers {PREFIX}… : références épuisées.")
        for offset in range(0, families, batch_size):
            size = min(batch_size, families - offset)
            with transaction.atomic():
                generator.batch(first + offset, size)
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {offset + size} / {families} foyers")
        self.analyze()
        elapsed = time.perf_counter() - started
        c = generator.counts
        self.stdout.write(
            f"{c['families']} foyers générés en {elapsed:.1f} s ({c['families'] / elapsed:.0f} foyers/s) : "
            f"{c['guardians']} responsables, {c['logins']} identifiants, {c['children']} enfants "
            f"({c['shared']} en garde partagée), {c['vaccinations']} vaccinations, "
            f"{c['persons']} personnes autorisées, {c['tax']} données fiscales, {c['caf']} données CAF, "
            f"{c['bank']} comptes bancaires, {c['archived']} foyers archivés, {c['threads']} conversations, "
            f"{c['messages']} messages, {c['registrations']} inscriptions à la restauration scolaire."
        )
        if options["verbosity"] >= 1:
            self.stdout.write(f"Identifiants gen.{PREFIX.lower()}{first:0{DIGITS}d}… , mot de passe {PASSWORD}")

    @staticmethod
    def analyze():
        """Fresh planner statistics: after a bulk load they are stale until autovacuum catches up,
        and the planner then picks sequential scans for the portal's indexed lookups."""
        models = [Family, Guardian, User, Child, ChildLink, HealthRecord, Vaccination, AuthorizedPerson, TaxInfo,
                  CafInfo, BankAccount, Thread, Message, ThreadRead, Registration]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
                cursor.execute(f"ANALYZE {tables}")
            elif connection.vendor == "sqlite":
                for model in models:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    @staticmethod
    def next_number():
        refs = Family.objects.filter(reference__regex=rf"^{PREFIX}[0-9]{{{DIGITS}}}$").order_by("-reference")
        last = refs.values_list("reference", flat=True).first()
        return int(last[1:]) + 1 if last else 1


class Generator:
    def __init__(self, rng, password_hash, activities_rng=None):
        self.rng = rng
        self.activities_rng = activities_rng or random.Random(0)
        self.password_hash = password_hash
        self.today = today()
        self.now = timezone.now()
        self.school_year = school_year_start(self.today)
        self.counts = dict.fromkeys(
            ["families", "guardians", "logins", "children", "shared", "vaccinations", "persons", "tax", "caf",
             "bank", "archived", "threads", "messages", "registrations"], 0)
        self.topics = list(Topic.objects.values_list("pk", flat=True))
        self.broadcasts = None
        self.cities = [c for c, _ in CITY_WEIGHTS]
        self.city_weights = [w for _, w in CITY_WEIGHTS]
        self.slugs = {name: ascii_slug(name).replace("-", "") for name in SURNAMES + WOMEN + MEN}
        # Birth dates: from 1 January twelve years before this school year to 31 December three years before.
        self.birth_start = datetime.date(self.school_year.year - 12, 1, 1)
        self.birth_days = (datetime.date(self.school_year.year - 3, 12, 31) - self.birth_start).days
        self.vaccine_days = [(label, int(months * 30.44)) for label, months in VACCINES]
        self.canteens = None

    def canteens_once(self):
        """{school: (canteen, its meal unit)} of the usual catalogue, made once for the run (create_catalogue
        is idempotent: a second run finds it), and the school year the registrations cover."""
        if self.canteens is None:
            catalogue = create_catalogue(self.today)
            self.canteens = {}
            for key in ("canteen_m", "canteen_e"):
                activity = catalogue[key]
                (school,) = activity.schools
                self.canteens[school] = (activity.pk, activity.units.get().pk)
            first = self.school_year
            summer = (CalendarPeriod.objects.filter(kind=CalendarPeriod.Kind.SCHOOL_HOLIDAYS,
                                                    first_day__gt=datetime.date(first.year + 1, 6, 1),
                                                    first_day__lte=datetime.date(first.year + 1, 8, 31))
                      .order_by("first_day").values_list("first_day", flat=True).first())
            self.school_days = (first, (summer or datetime.date(first.year + 1, 7, 5)) - datetime.timedelta(days=1))
        return self.canteens

    def registrations(self, families, plans):
        """Most pupils of the two Tourrettes schools registered to their school's canteen for the school year,
        Monday, Tuesday, Thursday and Friday (some only two of those days).

        Written in bulk, not approved through registrations.approve, and they book nothing: approving a
        commune of 20000 households through the booking rules would take far too long, and the catalogue's
        refectories (90 and 160 places) could not take them. Its benchmarks do the booking."""
        canteens = self.canteens_once()
        rng = self.activities_rng
        first_day, last_day = self.school_days
        rows = []
        for family, plan in zip(families, plans, strict=True):
            if plan["archived"]:
                continue
            for kid in plan["kids"]:
                if kid.school not in canteens or rng.random() >= 0.85:
                    continue
                activity_id, unit_id = canteens[kid.school]
                days = (0, 1, 3, 4) if rng.random() < 0.75 else rng.choice(((0, 3), (1, 4)))
                rows.append(Registration(child_id=kid.pk, family_id=family.pk, activity_id=activity_id,
                                         first_day=first_day, last_day=last_day,
                                         pattern={str(day): [unit_id] for day in days}))
        Registration.objects.bulk_create(rows, batch_size=5000)
        self.counts["registrations"] += len(rows)

    def mobile(self):
        n = self.rng.randrange(10**8)
        return f"0{6 + (n & 1)} {n // 10**6 % 100:02d} {n // 10**4 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}"

    def batch(self, first_number, size):
        rng = self.rng
        families = []
        plans = []
        for i in range(size):
            reference = f"{PREFIX}{first_number + i:0{DIGITS}d}"
            city = rng.choices(self.cities, self.city_weights)[0]
            archived = rng.random() < 0.01
            families.append(Family(
                reference=reference,
                address_line1=f"{rng.randrange(1, 400)} {rng.choice(STREETS[city])}",
                address_line2="" if rng.random() < 0.9 else f"Résidence Les Pins, bâtiment {rng.choice('ABCD')}",
                postal_code=POSTAL_CODE,
                city=city,
                home_phone="" if rng.random() < 0.6 else f"04 94 {rng.randrange(100):02d} {rng.randrange(100):02d} "
                                                          f"{rng.randrange(100):02d}",
                dossier_received_on=self.today - datetime.timedelta(days=rng.randrange(5, 1500)),
                archived_at=self.now - datetime.timedelta(days=rng.randrange(1, 700)) if archived else None,
                archive_reason="Déménagement hors de la commune" if archived else "",
            ))
            plans.append({
                "city": city,
                "archived": archived,
                "name": rng.choice(SURNAMES),
                "couple": rng.random() < 0.72,
                "children": rng.choices((1, 2, 3, 4), (35, 40, 18, 7))[0],
            })
        Family.objects.bulk_create(families)
        self.counts["families"] += size
        self.counts["archived"] += sum(p["archived"] for p in plans)

        # Guardians: one or two per household; the first one owns the login.
        guardians = []
        for family, plan in zip(families, plans, strict=True):
            name = plan["name"]
            mother = plan["couple"] or rng.random() < 0.8
            first = rng.choice(WOMEN) if mother else rng.choice(MEN)
            job, employer = rng.choice(PROFESSIONS)
            g1 = Guardian(
                family_id=family.pk, rank=1, civility="MME" if mother else "M", first_name=first, last_name=name,
                relation="Mère" if mother else "Père",
                email=f"{self.slugs[first]}.{self.slugs[name]}.{family.reference.lower()}@example.org",
                mobile_phone=self.mobile(), profession=job, employer=employer,
            )
            guardians.append(g1)
            plan["g1"] = g1
            if plan["couple"]:
                partner = name if rng.random() < 0.7 else rng.choice(SURNAMES)
                first2 = rng.choice(MEN)
                job2, employer2 = rng.choice(PROFESSIONS)
                guardians.append(Guardian(
                    family_id=family.pk, rank=2, civility="M", first_name=first2, last_name=partner, relation="Père",
                    email=f"{self.slugs[first2]}.{self.slugs[partner]}.{family.reference.lower()}@example.org"
                    if rng.random() < 0.7 else "",
                    mobile_phone=self.mobile(), profession=job2, employer=employer2,
                ))
        Guardian.objects.bulk_create(guardians)
        self.counts["guardians"] += len(guardians)

        logins = [
            User(
                username=f"gen.{family.reference.lower()}", password=self.password_hash, role=User.Role.FAMILY,
                family_id=family.pk, guardian_id=plan["g1"].pk, email=plan["g1"].email,
                first_name=plan["g1"].first_name, last_name=plan["g1"].last_name, is_active=not plan["archived"],
                date_joined=self.now,
            )
            for family, plan in zip(families, plans, strict=True)
        ]
        User.objects.bulk_create(logins)
        self.counts["logins"] += len(logins)

        # Children, born three to twelve years before this school year.
        children = []
        for plan in plans:
            plan["kids"] = kids = []
            for _ in range(plan["children"]):
                sex = "F" if rng.random() < 0.5 else "M"
                birth = self.birth_start + datetime.timedelta(days=rng.randrange(self.birth_days))
                school, school_class = school_and_class(birth, plan["city"], rng, self.school_year)
                diet = rng.choices(("standard", "no_pork", "vegetarian", "packed_lunch"), (76, 12, 10, 2))[0]
                kid = Child(
                    first_name=rng.choice(GIRLS if sex == "F" else BOYS), last_name=plan["name"], birth_date=birth,
                    sex=sex, school=school, school_class=school_class, diet=diet,
                    photo_consent=rng.random() < 0.8,
                    may_leave_alone=self.today.year - birth.year >= 9 and rng.random() < 0.5,
                )
                kids.append(kid)
                children.append(kid)
        Child.objects.bulk_create(children)
        self.counts["children"] += len(children)

        links, health, vaccinations, persons, taxes, cafs, banks = [], [], [], [], [], [], []
        for index, (family, plan) in enumerate(zip(families, plans, strict=True)):
            since = family.dossier_received_on
            for kid in plan["kids"]:
                links.append(ChildLink(family_id=family.pk, child_id=kid.pk, since=since))
            # Shared custody: about 2% of households also have the next household's first child.
            if index + 1 < size and rng.random() < 0.02:
                shared = plans[index + 1]["kids"][0]
                links.append(ChildLink(family_id=family.pk, child_id=shared.pk, since=since))
                persons.append(AuthorizedPerson(
                    family_id=family.pk, child_id=shared.pk, last_name=plans[index + 1]["g1"].last_name,
                    first_name=plans[index + 1]["g1"].first_name, relation="Autre parent",
                    phone=plans[index + 1]["g1"].mobile_phone, can_pick_up=rng.random() < 0.7,
                    is_emergency_contact=True,
                ))
                self.counts["shared"] += 1
            for kid in plan["kids"]:
                doctor, doctor_phone = rng.choice(DOCTORS)
                flags = rng.random()
                pai = kid.diet == "packed_lunch" or flags < 0.03
                health.append(HealthRecord(
                    child_id=kid.pk, doctor_name=doctor, doctor_phone=doctor_phone,
                    allergies=rng.choice(ALLERGIES) if flags < 0.12 else "",
                    has_pai=pai,
                    pai_details="Allergie alimentaire : trousse d'urgence, panier repas." if pai else "",
                    treatments="Ventoline à la demande" if 0.12 <= flags < 0.16 else "",
                    notes="Porte des lunettes." if 0.16 <= flags < 0.22 else "",
                ))
                if rng.random() < 0.75:
                    for label, days in self.vaccine_days[: rng.randrange(2, len(self.vaccine_days) + 1)]:
                        date = kid.birth_date + datetime.timedelta(days=days + rng.randrange(15))
                        if date >= self.today:
                            break
                        vaccinations.append(Vaccination(child_id=kid.pk, vaccine=label, date=date))
            if rng.random() < 0.9:
                helpers = rng.sample(RELATIONS, 1 if rng.random() < 0.5 else 2)
                named = [(rng.choice(SURNAMES), rng.choice(WOMEN if civ == "MME" else MEN), rel, self.mobile())
                         for rel, civ in helpers]
                for kid in plan["kids"]:
                    for last, first, relation, phone in named:
                        persons.append(AuthorizedPerson(
                            family_id=family.pk, child_id=kid.pk, last_name=last, first_name=first,
                            relation=relation, phone=phone, is_emergency_contact=relation.startswith("Grand"),
                        ))
            if rng.random() < 0.9:
                income = rng.randrange(9_000, 120_000)
                shares = tax_shares(plan["couple"], plan["children"])
                taxes.append(TaxInfo(family_id=family.pk, year=self.today.year - 1,
                                     reference_income=Decimal(income), tax_shares=shares))
                if rng.random() < 0.85:
                    cafs.append(CafInfo(
                        family_id=family.pk, regime=rng.choices(("CAF", "MSA", "AUTRE"), (88, 9, 3))[0],
                        allocataire_number=str(rng.randrange(1_000_000, 9_999_999)),
                        quotient=int(income / 12 / float(shares)),
                        quotient_valid_from=datetime.date(self.today.year, 1, 1),
                    ))
            if rng.random() < 0.6:
                code, bic = rng.choice(BANKS)
                iban = IBAN.generate("FR", bank_code=code, branch_code=f"{rng.randrange(1, 99999):05d}",
                                     account_code=f"{rng.randrange(10**10):011d}")
                mandate = rng.random() < 0.7
                g1 = plan["g1"]
                banks.append(BankAccount(
                    family_id=family.pk, holder=f"{g1.first_name} {g1.last_name}", iban=iban.compact, bic=bic,
                    mandate_reference=f"TOURRETTES-ENF-{family.reference}" if mandate else "",
                    mandate_signed_on=family.dossier_received_on if mandate else None,
                ))
        self.conversations(families, plans, logins)
        self.registrations(families, plans)
        for model, rows, key in (
            (ChildLink, links, None), (HealthRecord, health, None), (Vaccination, vaccinations, "vaccinations"),
            (AuthorizedPerson, persons, "persons"), (TaxInfo, taxes, "tax"), (CafInfo, cafs, "caf"),
            (BankAccount, banks, "bank"),
        ):
            model.objects.bulk_create(rows, batch_size=5000)
            if key:
                self.counts[key] += len(rows)

    def broadcasts_once(self):
        """The commune's two messages to every household, made once for the run (and counted at the end)."""
        if self.broadcasts is None:
            self.broadcasts = [
                Broadcast.objects.create(
                    subject=subject, body=body, audience=Broadcast.Audience.ALL, state=Broadcast.State.SENT,
                    sent_at=self.now - datetime.timedelta(days=days),
                )
                for subject, body, days in (
                    ("Inscriptions aux vacances d'hiver", "Les inscriptions ouvrent lundi sur le portail.", 40),
                    ("Fermeture de la mairie le 11 novembre", "L'accueil sera fermé ce jour-là.", 20),
                )
            ]
        return self.broadcasts

    def conversations(self, families, plans, logins):
        """Each household's inbox: the broadcasts, mostly read, and for about a third of them conversations
        started by the family and answered by the commune (20 messages for households of four children or more)."""
        rng = self.rng
        threads, bodies, reads = [], [], []
        for family, plan, login in zip(families, plans, logins, strict=True):
            if plan["archived"]:
                continue
            for broadcast in self.broadcasts_once():
                at = broadcast.sent_at
                threads.append(Thread(family_id=family.pk, subject=broadcast.subject, origin=Thread.Origin.BROADCAST,
                                      state=Thread.State.ANSWERED, broadcast=broadcast, last_message_at=at,
                                      last_commune_message_at=at))
                bodies.append([(True, broadcast.body)])
                reads.append((login, at) if rng.random() < 0.7 else None)
            sizes = [rng.randrange(2, 7) for _ in range(rng.randrange(1, 4))] if rng.random() < 0.35 else []
            if plan["children"] >= 4:
                sizes.append(20)
            for size in sizes:
                at = self.now - datetime.timedelta(days=rng.randrange(1, 300), minutes=rng.randrange(1440))
                answered = size % 2 == 0
                threads.append(Thread(
                    family_id=family.pk, subject=rng.choice(SUBJECTS), topic_id=rng.choice(self.topics or [None]),
                    origin=Thread.Origin.FAMILY, created_by_id=login.pk, last_message_at=at,
                    state=(Thread.State.CLOSED if rng.random() < 0.3 else Thread.State.ANSWERED) if answered
                    else Thread.State.WAITING, last_commune_message_at=at if answered else at - datetime.timedelta(
                        hours=1) if size > 1 else None,
                ))
                bodies.append([(i % 2 == 1, f"Message {i + 1} : {rng.choice(SUBJECTS).lower()}, merci.")
                               for i in range(size)])
                reads.append((login, at) if rng.random() < 0.8 else None)
        Thread.objects.bulk_create(threads, batch_size=5000)
        Message.objects.bulk_create(
            [Message(thread_id=thread.pk, from_commune=from_commune, body=body,
                     author_id=None if from_commune else thread.created_by_id)
             for thread, messages in zip(threads, bodies, strict=True) for from_commune, body in messages],
            batch_size=5000)
        ThreadRead.objects.bulk_create(
            [ThreadRead(thread_id=thread.pk, user_id=read[0].pk, read_at=read[1])
             for thread, read in zip(threads, reads, strict=True) if read], batch_size=5000)
        for broadcast in self.broadcasts_once():
            Broadcast.objects.filter(pk=broadcast.pk).update(households_count=models.F("households_count") + sum(
                1 for t in threads if t.broadcast_id == broadcast.pk))
        self.counts["threads"] += len(threads)
        self.counts["messages"] += sum(len(b) for b in bodies)


SUBJECTS = ["Question sur la cantine", "Absence de mon enfant", "Attestation de paiement", "Changement d'adresse",
            "Horaires de l'accueil du soir", "Régime alimentaire", "Inscription au centre de loisirs",
            "Facture du mois dernier"]
