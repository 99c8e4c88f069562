"""The portal home marks a child who lives in two households, and only that child."""

import re

from django.urls import reverse

from enfance.families.models import ChildLink
from tests.factories import make_household


def child_items(body):
    return {m[1]: m[0] for m in re.finditer(r"<li><a href=\"/portail/enfants/\d+/\"><strong>(\w+) \w+</strong>.*?</li>",
                                            body, re.S)}


def test_a_child_in_shared_custody_has_the_badge_and_a_single_household_child_not(client, alice):
    first, second = alice.family.children.order_by("first_name")
    other, _login, _kids = make_household("Garnier", children=0)
    ChildLink.objects.create(family=other, child=first)
    client.force_login(alice)
    items = child_items(client.get(reverse("portal:home")).content.decode())
    assert set(items) == {first.first_name, second.first_name}
    assert "garde partagée" in items[first.first_name]
    assert "garde partagée" not in items[second.first_name]
