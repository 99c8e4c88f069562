"""Whom an invoice is addressed to: the main guardian by first name and surname, the household's address."""

import pytest

from enfance.billing import billing_identity
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def test_the_guardian_billed_is_named_in_full_with_the_households_address():
    family, _login, _children = make_household("Martin")
    snapshot = billing_identity.billed_to(family)
    assert snapshot["name"] == "Claire Martin"  # not the household's surname alone
    assert snapshot["guardians"] == ["Claire Martin", "Marc Martin"]
    assert snapshot["address"] == family.full_address and snapshot["reference"] == family.reference
    assert billing_identity.billed(snapshot) == {"name": "Claire Martin", "address": family.full_address,
                                                 "reference": family.reference}


def test_an_older_snapshot_with_surnames_only_still_shows_the_full_name():
    assert billing_identity.billed({"name": "Martin", "guardians": ["Claire Martin"], "address": "1 rue"})["name"] \
        == "Claire Martin"
    assert billing_identity.billed({"name": "Martin"})["name"] == "Martin"
    assert billing_identity.billed(None) == {"name": "", "address": "", "reference": ""}
