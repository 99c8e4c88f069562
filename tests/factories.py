import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from enfance.accounts.models import User
from enfance.families import models

PASSWORD = "Test-Password-2026"


class FamilyFactory(DjangoModelFactory):
    class Meta:
        model = models.Family

    reference = factory.Sequence(lambda n: f"T{n:05d}")
    address_line1 = factory.Sequence(lambda n: f"{n + 1} chemin des Oliviers")
    postal_code = "83440"
    city = "Tourrettes"
    dossier_received_on = datetime.date(2026, 9, 1)


class GuardianFactory(DjangoModelFactory):
    class Meta:
        model = models.Guardian

    family = factory.SubFactory(FamilyFactory)
    rank = 1
    civility = "MME"
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    first_name = "Claire"
    email = factory.LazyAttribute(lambda o: f"{o.last_name.lower()}@example.org")
    mobile_phone = "06 12 34 56 78"


class ChildFactory(DjangoModelFactory):
    class Meta:
        model = models.Child
        skip_postgeneration_save = True

    last_name = factory.Sequence(lambda n: f"Enfant{n}")
    first_name = "Léa"
    birth_date = datetime.date(2018, 5, 4)
    sex = "F"
    school = "École Marcel Pagnol"
    school_class = "CE1"

    @factory.post_generation
    def family(self, create, extracted, **kwargs):
        if create and extracted is not None:
            models.ChildLink.objects.create(family=extracted, child=self)


class HealthRecordFactory(DjangoModelFactory):
    class Meta:
        model = models.HealthRecord

    child = factory.SubFactory(ChildFactory)
    doctor_name = "Dr Martin"
    doctor_phone = "04 94 00 00 00"
    allergies = "Arachide"


class VaccinationFactory(DjangoModelFactory):
    class Meta:
        model = models.Vaccination

    child = factory.SubFactory(ChildFactory)
    vaccine = "DTPolio"
    date = datetime.date(2019, 6, 1)


class AuthorizedPersonFactory(DjangoModelFactory):
    class Meta:
        model = models.AuthorizedPerson

    last_name = factory.Sequence(lambda n: f"Voisin{n}")
    first_name = "Paul"
    relation = "Grand-père"
    phone = "06 00 00 00 01"


class TaxInfoFactory(DjangoModelFactory):
    class Meta:
        model = models.TaxInfo

    year = 2025
    reference_income = Decimal("32000.00")
    tax_shares = Decimal("2.50")


class CafInfoFactory(DjangoModelFactory):
    class Meta:
        model = models.CafInfo

    regime = "CAF"
    allocataire_number = "1234567"
    quotient = 750


class BankAccountFactory(DjangoModelFactory):
    class Meta:
        model = models.BankAccount

    holder = "Claire Nom"
    iban = "FR7630006000011234567890189"
    bic = "AGRIFRPP"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = User.Role.FAMILY
    password = factory.django.Password(PASSWORD)


def make_household(name, *, children=1, complete=True):
    """A household with a main guardian, a login, `children` children and, if complete, every record."""
    family = FamilyFactory()
    guardian = GuardianFactory(family=family, last_name=name, email=f"{name.lower()}@example.org")
    login = UserFactory(username=f"famille.{name.lower()}", role=User.Role.FAMILY, family=family, guardian=guardian)
    kids = []
    for i in range(children):
        child = ChildFactory(last_name=name, first_name=f"Enfant{i + 1}", family=family)
        HealthRecordFactory(child=child)
        kids.append(child)
        if complete:
            VaccinationFactory(child=child)
            AuthorizedPersonFactory(family=family, child=child)
    if complete:
        GuardianFactory(family=family, rank=2, civility="M", first_name="Marc", last_name=name)
        TaxInfoFactory(family=family)
        CafInfoFactory(family=family)
        BankAccountFactory(family=family, holder=f"Claire {name}")
    return family, login, kids
