"""French typography: elision of "de" before names, and table cells that keep words whole."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from enfance.core.text import de_name
from tests.helpers import first_child, text

CSS = Path(__file__).resolve().parents[2] / "enfance" / "core" / "static" / "core" / "enfance.css"


@pytest.mark.parametrize("name, expected", [("Inès", "d'Inès"), ("Hugo", "d'Hugo"), ("Élodie", "d'Élodie"),
                                            ("Léa", "de Léa"), ("Yanis", "de Yanis"), ("Omar Martin", "d'Omar Martin")])
def test_de_is_elided_before_a_vowel_or_a_mute_h(name, expected):
    assert de_name(name) == expected


def test_portal_and_staff_pages_elide_before_a_childs_name(alice_client, alice, staff):
    child = first_child(alice)
    child.first_name = "Inès"
    child.save(update_fields=["first_name"])
    body = text(alice_client.get(reverse("portal:child_health", args=[child.pk])))
    assert "Données sanitaires d'Inès" in body and "Données sanitaires de Inès" not in body
    alice_client.force_login(staff)
    body = text(alice_client.get(reverse("backoffice:family", args=[alice.family_id])))
    assert "Données sanitaires d'Inès" in body and "Données sanitaires de Inès" not in body


def test_the_staff_photo_page_names_the_child_once(staff_client, alice):
    child = first_child(alice)
    body = text(staff_client.get(reverse("backoffice:child_photo_edit", args=[child.pk])))
    assert f"Photo d'{child}" in body or f"Photo de {child}" in body
    assert f"Enfant : {child}" not in body


def test_table_cells_do_not_break_words_anywhere_on_wide_screens():
    css = CSS.read_text()
    assert "break-all" not in css
    wide = css.split("@media (max-width: 40rem)")[0]
    assert "td, dd { overflow-wrap: anywhere" not in wide and "td { overflow-wrap: anywhere" not in wide


def test_what_is_missing_from_a_record_elides_before_a_vowel(db):
    from enfance.families import access, categories
    from tests.factories import ChildFactory, FamilyFactory

    family = FamilyFactory()
    ChildFactory(first_name="Inès", family=family)
    missing = categories.missing_items(family, access.children_summary(family))
    assert "la photo d'Inès" in missing and "les données sanitaires d'Inès" in missing


def test_a_phone_number_never_breaks_between_its_digits(alice_client, alice):
    guardian = alice.family.guardians.get(rank=1)
    guardian.mobile_phone = "06 12 34 56 78"
    guardian.save(update_fields=["mobile_phone"])
    page = alice_client.get(reverse("portal:information")).content.decode()
    assert '<span class="nowrap">06 12 34 56 78</span>' in page
    assert ".nowrap { white-space: nowrap; }" in (settings.BASE_DIR / "enfance/core/static/core/enfance.css").read_text()
