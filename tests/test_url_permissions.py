"""The permission matrix, generated from tests/url_table.py.

Every URL of the project is classified there; here each class gets its rule:
a household reaches only its own objects (another household's identifier
answers 404, byte for byte like an identifier that does not exist, also when
identifiers are mixed in one URL), anonymous visitors are sent to the login
page, families never reach staff pages, and in shared custody neither
household sees the other's data on any portal page.
"""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import resolve, reverse

from enfance.families.models import ChildLink
from tests import url_table
from tests.factories import (
    AuthorizedPersonFactory,
    BankAccountFactory,
    CafInfoFactory,
    ChildFactory,
    HealthRecordFactory,
    UserFactory,
    VaccinationFactory,
    make_household,
)
from tests.url_table import (
    ACCOUNT,
    ADMIN,
    AGENT,
    AUTH,
    LEADER,
    PORTAL,
    PORTAL_WITH_ID,
    PORTAL_WITHOUT_ID,
    PUBLIC,
    STAFF,
    TABLE,
)

pytestmark = pytest.mark.django_db

HOW_TO = (
    "Classify it in TABLE in tests/url_table.py as PUBLIC, AUTH, ACCOUNT, PORTAL_WITHOUT_ID, "
    "PORTAL_WITH_ID (with a kwargs builder) or STAFF (with its least role), and mark it post_only if it refuses GET."
)


# --- the table itself ---------------------------------------------------------

def test_every_url_pattern_is_classified():
    patterns = url_table.project_patterns()
    missing = sorted(f"{name}  ({route})" for name, route in patterns.items() if name not in TABLE)
    assert not missing, "URL patterns missing from tests/url_table.py:\n  " + "\n  ".join(missing) + "\n" + HOW_TO


def test_the_table_names_only_existing_urls():
    patterns = url_table.project_patterns()
    stale = sorted(name for name in TABLE if name not in patterns)
    assert not stale, (
        "tests/url_table.py names URLs the project no longer has; remove them from TABLE:\n  " + "\n  ".join(stale)
    )


def test_table_entries_are_consistent(alice):
    scope = url_table.prepare(alice)[alice][0]
    problems = []
    for name, route in TABLE.items():
        if route.kind not in url_table.KINDS:
            problems.append(f"{name}: unknown kind {route.kind!r}")
        if route.role not in (LEADER, AGENT, ADMIN):
            problems.append(f"{name}: unknown role {route.role!r}")
        if route.post_only and route.ok == 405:
            problems.append(f"{name}: post_only routes give the status of their POST in ok")
        ids = [key for kwargs in url_table.all_kwargs(name, scope) for key, value in kwargs.items()
               if isinstance(value, int)]
        if route.kind == PORTAL_WITH_ID and not ids:
            problems.append(f"{name}: PORTAL_WITH_ID needs a kwargs builder giving the object identifiers")
        if route.kind in (PUBLIC, PORTAL_WITHOUT_ID) and ids:
            problems.append(f"{name}: {route.kind} takes no identifier ({ids}); classify it PORTAL_WITH_ID")
    assert not problems, "\n".join(problems)


def test_every_table_entry_builds_its_urls(alice):
    scope = url_table.prepare(alice)[alice][0]
    for name in TABLE:
        # NoReverseMatch here: the builder's kwargs do not fit the pattern.
        for path in url_table.urls_for(name, scope):
            match = resolve(path)
            assert f"{match.namespace}:{match.url_name}" == name, f"{path} resolves to {match.view_name}, not {name}"


# --- helpers ------------------------------------------------------------------

@pytest.fixture
def world(alice, bob):
    return url_table.prepare(alice, bob)


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _open(client, name, path):
    return client.post(path) if TABLE[name].post_only else client.get(path)


def _assert_sent_to_login(response, path):
    assert response.status_code == 302, f"{path}: {response.status_code}, expected a redirect to the login page"
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login"), f"{path} redirects to {response['Location']}"
    assert parse_qs(location.query).get("next") == [path], f"{path} redirects to {response['Location']}"


def _staff_user(role):
    return UserFactory(username=f"{role}.matrix", role=role)


# --- the portal ---------------------------------------------------------------

@pytest.mark.parametrize("name", url_table.names(*PORTAL))
def test_portal_page_opens_for_its_household(name, world, alice):
    client = _client(alice)
    for scope in world[alice]:
        for path in url_table.urls_for(name, scope):
            response = _open(client, name, path)
            assert response.status_code == TABLE[name].ok, f"{path} as alice: {response.status_code}"


@pytest.mark.parametrize("name", url_table.names(PORTAL_WITH_ID))
def test_another_households_identifier_answers_404_like_a_missing_one(name, world, alice, bob):
    for owner, visitor in ((alice, bob), (bob, alice)):
        client = _client(visitor)
        for scope in world[owner]:
            for kwargs in url_table.all_kwargs(name, scope):
                others = reverse(name, kwargs=kwargs)
                missing = reverse(name, kwargs=url_table.with_missing_ids(kwargs))
                foreign = _open(client, name, others)
                absent = _open(client, name, missing)
                who = f"{visitor.username} opening {owner.username}'s {others}"
                assert foreign.status_code == 404, f"{who}: {foreign.status_code}"
                assert absent.status_code == 404, f"{visitor.username} opening {missing}: {absent.status_code}"
                assert foreign.content == absent.content, f"{who}: the 404 differs from a missing object's"
                assert foreign.get("Content-Type") == absent.get("Content-Type"), who


def _ids(name, scope):
    return [key for key, value in url_table.build_kwargs(name, scope).items() if isinstance(value, int)]


def _mixes(name, base, donor):
    """Each URL made of base's identifiers with one of them taken from donor."""
    own = url_table.build_kwargs(name, base)
    theirs = url_table.build_kwargs(name, donor)
    for key in own:
        if theirs[key] != own[key]:
            yield key, reverse(name, kwargs={**own, key: theirs[key]})


@pytest.mark.parametrize("name", url_table.names(PORTAL_WITH_ID))
def test_mixed_identifiers_answer_404(name, world, alice, bob):
    """Your own child with another household's record, or with your record for your other child: 404."""
    tried = 0
    for requester, other in ((alice, bob), (bob, alice)):
        client = _client(requester)
        own_scopes = world[requester]
        for base in own_scopes:
            donors = [s for s in own_scopes if s is not base] + world[other]
            for donor in donors:
                for key, path in _mixes(name, base, donor):
                    if len(_ids(name, base)) < 2:
                        # A single identifier from another household is the test above; your other
                        # child's is simply your other page.
                        continue
                    tried += 1
                    response = _open(client, name, path)
                    assert response.status_code == 404, (
                        f"{requester.username} opening {path} ({key} from {donor.family} / {donor.child}): "
                        f"{response.status_code}"
                    )
    if len(_ids(name, world[alice][0])) > 1:
        assert tried, f"{name}: no mixed URL was built"


def test_own_child_with_own_person_of_the_other_child_is_404(world, alice):
    first, second = world[alice]
    client = _client(alice)
    path = reverse("portal:authorized_person", kwargs={"child_id": first.child.pk, "person_id": second.person.pk})
    assert client.get(path).status_code == 404
    path = reverse("portal:vaccination", kwargs={"child_id": first.child.pk, "vaccination_id": second.vaccination.pk})
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("name", url_table.names(*PORTAL, ACCOUNT, STAFF))
def test_anonymous_visitors_are_sent_to_login(name, world, alice):
    path = url_table.url_for(name, world[alice][0])
    _assert_sent_to_login(_open(_client(), name, path), path)


@pytest.mark.parametrize("name", url_table.names(*PORTAL))
def test_staff_never_act_as_a_household(name, world, alice, staff):
    path = url_table.url_for(name, world[alice][0])
    assert _open(_client(staff), name, path).status_code == 403


# --- public pages, token links, the account ------------------------------------

@pytest.mark.parametrize("name", url_table.names(PUBLIC))
def test_public_pages_open_anonymously(name):
    path = url_table.url_for(name)
    response = _open(_client(), name, path)
    assert response.status_code == TABLE[name].ok, f"{path}: {response.status_code}"


@pytest.mark.parametrize("name", url_table.names(AUTH))
def test_token_links_open_with_their_token_only(name, world, alice):
    scope = world[alice][0]
    path = url_table.url_for(name, scope)
    client = _client()
    assert client.get(path).status_code == TABLE[name].ok, path
    response = client.get(path, follow=True)
    assert TABLE[name].marker in response.content, f"{path}: the valid link does not show its page"
    kwargs = url_table.build_kwargs(name, scope)
    tampered = reverse(name, kwargs={**kwargs, "token": kwargs["token"][:-3] + "zzz"})
    response = _client().get(tampered, follow=True)
    assert response.status_code < 500, f"{tampered}: {response.status_code}"
    assert TABLE[name].marker not in response.content, f"{tampered}: a tampered token opens the page"


@pytest.mark.parametrize("name", url_table.names(ACCOUNT, get=True))
def test_account_pages_open_for_families_and_staff(name, world, alice, staff):
    for user in (alice, staff):
        path = url_table.url_for(name, world[alice][0])
        response = _client(user).get(path)
        assert response.status_code == TABLE[name].ok, f"{path} as {user.username}: {response.status_code}"


# --- the back office ------------------------------------------------------------

@pytest.mark.parametrize("name", url_table.names(STAFF))
def test_families_never_reach_staff_pages(name, world, alice, bob):
    for user in (alice, bob):
        path = url_table.url_for(name, world[alice][0])
        response = _open(_client(user), name, path)
        assert response.status_code == 403, f"{path} as {user.username}: {response.status_code}"


@pytest.mark.parametrize("name", url_table.names(STAFF, get=True))
def test_staff_pages_open_for_their_role(name, world, alice):
    route = TABLE[name]
    path = url_table.url_for(name, world[alice][0])
    ranks = [LEADER, AGENT, ADMIN]
    for role in ranks:
        response = _client(_staff_user(role)).get(path)
        if role == LEADER and route.household and ranks.index(role) >= ranks.index(route.role):
            assert response.status_code == 404, f"{path} as a leader outside their activities: {response.status_code}"
        elif ranks.index(role) >= ranks.index(route.role):
            assert response.status_code == route.ok, f"{path} as {role}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{path} as {role}: {response.status_code}, expected 403"


@pytest.mark.parametrize("name", url_table.names(get=False))
def test_post_only_views_refuse_get(name, world, alice):
    path = url_table.url_for(name, world[alice][0])
    route = TABLE[name]
    user = None if route.kind in (PUBLIC, AUTH) else (alice if route.kind in (*PORTAL, ACCOUNT) else _staff_user(ADMIN))
    assert _client(user).get(path).status_code == 405, f"GET {path}"


# --- shared custody -------------------------------------------------------------

def _household(name, *, child_name, person, address, phone, iban, allocataire):
    family, login, kids = make_household(name, children=1)
    kids[0].first_name = child_name
    kids[0].save()
    first_name, last_name, person_phone = person
    family.authorized_persons.update(first_name=first_name, last_name=last_name, phone=person_phone)
    family.address_line1 = address
    family.home_phone = phone
    family.save()
    family.guardians.filter(rank=1).update(mobile_phone=phone, first_name=f"Claire{name}")
    family.guardians.filter(rank=2).update(mobile_phone=phone.replace("06", "07", 1), first_name=f"Marc{name}")
    family.bank_account.delete()
    BankAccountFactory(family=family, holder=f"Titulaire {name}", iban=iban, bic="AGRIFRPP")
    family.caf_info.delete()
    CafInfoFactory(family=family, allocataire_number=allocataire)
    return family, login, kids[0]


def _secrets(family, shared_child):
    """What a household has of its own and the other must never see."""
    from enfance.core.fields import mask_iban

    bank = family.bank_account
    strings = {
        family.reference, family.address_line1, family.home_phone,
        bank.holder, bank.iban, mask_iban(bank.iban),
        family.caf_info.allocataire_number,
    }
    for guardian in family.guardians.all():
        strings |= {guardian.first_name, guardian.last_name, guardian.mobile_phone, guardian.email}
    for login in family.logins.all():
        strings.add(login.username)
    for person in family.authorized_persons.all():
        strings |= {person.first_name, person.last_name, person.phone}
    for change in family.change_requests.all():
        # What the household asked for (a new address, a new person) is its own too.
        strings |= {change.proposed.get(key, "") for key in ("address_line1", "last_name", "phone")}
    for link in ChildLink.objects.filter(family=family).exclude(child=shared_child).select_related("child"):
        strings |= {link.child.first_name}  # the household's own child, not shared
    return {s for s in strings if s}


def _crawl_portal(client, start):
    """Every portal page reachable from the start paths by links, with its body."""
    seen, queue, pages = set(), list(start), {}
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        body = response.content.decode()
        pages[path] = body
        for href in re.findall(r'href="([^"#]+)', body):
            href = urlsplit(href)
            if not href.netloc and (href.path.startswith("/portail/") or href.path.startswith("/compte/")):
                queue.append(href.path + (f"?{href.query}" if href.query else ""))
    return pages


def test_shared_custody_each_household_sees_the_child_and_nothing_of_the_other():
    roux, roux_login, _ = _household(
        "Roux", child_name="Jules", person=("Odette", "Marchal", "06 03 03 03 03"), address="12 impasse des Mimosas", phone="06 11 22 33 44",
        iban="FR1420041010050500013M02606", allocataire="7000001",
    )
    garnier, garnier_login, _ = _household(
        "Garnier", child_name="Inès", person=("Gérard", "Fabre", "06 04 04 04 04"), address="3 montée du Château", phone="06 55 66 77 88",
        iban="FR7610278000010002024390147", allocataire="7000002",
    )
    shared = ChildFactory(first_name="Camille", last_name="Lefort", birth_date=datetime.date(2017, 3, 9))
    HealthRecordFactory(child=shared, allergies="Kiwi")
    VaccinationFactory(child=shared, vaccine="ROR")
    for family in (roux, garnier):
        ChildLink.objects.create(family=family, child=shared)
    AuthorizedPersonFactory(family=roux, child=shared, first_name="Yvette", last_name="Roussel", phone="06 01 01 01 01")
    # A "forbidden" entry may name the other parent: the other household must not see it either.
    AuthorizedPersonFactory(family=garnier, child=shared, first_name="Hugo", last_name="Bastide",
                            phone="06 02 02 02 02", is_forbidden=True, can_pick_up=False)
    url_table.prepare(roux_login, garnier_login)
    # Pending requests name data too: Roux asks to add a person for the shared child and to move house.
    roux_client = _client(roux_login)
    response = roux_client.post(reverse("portal:authorized_person_add", kwargs={"child_id": shared.pk}), {
        "last_name": "Delacroix", "first_name": "Zoé", "relation": "Tante", "phone": "06 09 09 09 09",
        "can_pick_up": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    response = roux_client.post(reverse("portal:edit_family", kwargs={"category_slug": "adresse"}), {
        "address_line1": "8 rue des Remparts", "postal_code": "83440", "city": "Tourrettes",
        "home_phone": roux.home_phone,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert roux.change_requests.filter(status="pending").count() >= 3

    for own, other in ((roux_login, garnier_login), (garnier_login, roux_login)):
        client = _client(own)
        scopes = url_table.scopes_of(own)
        start = [url_table.url_for(n) for n in url_table.names(PORTAL_WITHOUT_ID, get=True)]
        start += [url_table.url_for(n, s) for n in url_table.names(PORTAL_WITH_ID, get=True) for s in scopes]
        start += [url_table.url_for(n) for n in url_table.names(ACCOUNT, get=True) if TABLE[n].ok == 200]
        pages = _crawl_portal(client, start)
        assert any(shared.first_name in body for body in pages.values())
        home = pages[reverse("portal:home")]
        assert "Camille" in home and "Lefort" in home, f"{own.username} does not see the shared child"
        assert reverse("portal:child", kwargs={"child_id": shared.pk}) in pages
        # Strings both households have (a factory default) prove nothing either way.
        secrets = _secrets(other.family, shared) - _secrets(own.family, shared)
        for expected in (other.family.address_line1, other.family.bank_account.iban, other.family.reference,
                         "Delacroix" if other == roux_login else "Bastide"):
            assert expected in secrets
        for path, body in pages.items():
            leaked = sorted(s for s in secrets if s in body)
            assert not leaked, f"{own.username} sees {other.username}'s data on {path}: {leaked}"
        # Its own data is there, so that the absence above means something.
        mine = "\n".join(pages.values())
        assert own.family.address_line1 in mine
        assert own.family.authorized_persons.get(child=shared).last_name in mine
