"""The family's bank form: never the full IBAN back, no SEPA mandate fields, a new IBAN means a new mandate."""

import datetime

from django.urls import reverse

from enfance.changes import services
from enfance.changes.models import ChangeRequest
from enfance.families.forms import BankAccountForm, StaffBankAccountForm
from enfance.families.models import BankAccount
from tests.helpers import text

BANK = reverse("portal:edit_family", args=["coordonnees-bancaires"])
STORED = "FR7630006000011234567890189"
NEW = "FR76 1027 8061 0000 1020 4801 713"


def test_the_portal_form_shows_no_full_iban_and_no_mandate_fields(alice_client, alice):
    BankAccount.objects.filter(family=alice.family).update(mandate_reference="TOURRETTES-ENF-42",
                                                          mandate_signed_on=datetime.date(2025, 9, 1))
    body = text(alice_client.get(BANK))
    assert STORED not in body and "FR76 3000 6000 0112 3456 7890 189" not in body
    assert "FR76 **** 0189" in body  # the masked IBAN in the help text
    assert 'name="mandate_reference"' not in body and 'name="mandate_signed_on"' not in body
    assert "nouveau mandat de prélèvement SEPA" in body


def test_a_posted_mandate_is_ignored_and_an_empty_iban_keeps_the_stored_one(alice_client, alice, staff):
    response = alice_client.post(BANK, {"holder": "Claire Alice-Martin", "iban": "", "bic": "",
                                        "mandate_reference": "PIRATE", "mandate_signed_on": "2020-01-01"})
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert "mandate_reference" not in change.proposed and "mandate_signed_on" not in change.proposed
    services.approve(change.pk, staff=staff)
    account = BankAccount.objects.get(family=alice.family)
    assert account.holder == "Claire Alice-Martin" and account.iban == STORED
    assert account.mandate_reference == "" and account.mandate_signed_on is None


def test_a_new_iban_is_filed_for_review(alice_client, alice):
    alice_client.post(BANK, {"holder": "Claire Alice", "iban": NEW, "bic": ""})
    assert ChangeRequest.objects.get().proposed["iban"] == NEW.replace(" ", "")


def test_staff_form_keeps_the_mandate_fields_and_hides_the_iban_too(alice):
    account = alice.family.bank_account
    form = StaffBankAccountForm(instance=account)
    assert {"mandate_reference", "mandate_signed_on"} <= set(form.fields)
    assert STORED not in form.as_div() and "FR76 **** 0189" in str(form["iban"].help_text)
    assert set(BankAccountForm(instance=account).fields) == {"holder", "iban", "bic"}
