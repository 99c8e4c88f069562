"""Every page, at 1280 and at 375 pixels wide: axe-core finds no WCAG 2.1 A/AA violation and nothing
scrolls sideways. The crawl follows every same-site link, beside the URLs of tests/url_table.py."""

import pytest

from tests import url_table
from tests.factories import PASSWORD, UserFactory
from tests.url_table import ACCOUNT, AUTH, PORTAL, PUBLIC, STAFF, TABLE

from .pages import audit, crawl, login

pytestmark = pytest.mark.browser


def _report(problems):
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


def _get_urls(names, scopes):
    return [path for name in names if TABLE[name].ok == 200 for scope in scopes
            for path in url_table.urls_for(name, scope)]


def test_every_portal_page(open_context, alice, bob):
    scopes = url_table.prepare(alice, bob, acknowledge=False)[alice]
    page = open_context().new_page()
    login(page, alice.username, PASSWORD)
    # First the current service rules, to accept once per school year (the form is audited too).
    assert "/portail/conditions/" in page.url, page.url
    problems = audit(page, "service rules to accept")
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()
    problems += audit(page, "service rules: the box left unticked")
    assert page.locator("#id_accept_error").is_visible()
    page.get_by_label("J'ai lu les conditions de fonctionnement et je les accepte").check()
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/portail/")
    start = ["/portail/"] + _get_urls(url_table.names(*PORTAL, ACCOUNT, get=True), scopes)
    # Two pages of each kind found by links (the calendar links each month to the next, without end).
    visited, crawl_problems = crawl(page, list(dict.fromkeys(start)), per_kind=2,
                                    follow=lambda name: TABLE.get(name) is not None and TABLE[name].kind in (*PORTAL, ACCOUNT))
    assert set(start) <= set(visited)
    problems += crawl_problems
    assert not problems, _report(problems)


def test_every_public_page(open_context, alice):
    scope = url_table.prepare(alice)[alice][0]
    page = open_context().new_page()
    start = _get_urls(url_table.names(PUBLIC, get=True), [scope])
    # A token link leads to the password form (the reset link redirects to its own URL first).
    start += [url_table.url_for(name, scope) for name in url_table.names(AUTH)]
    visited, problems = crawl(page, start, follow=lambda name: TABLE.get(name) is not None and TABLE[name].kind == PUBLIC)
    assert set(start) <= set(visited)
    # The page of a link that is no longer valid.
    page.goto("/activation/MQ/expired-token/")
    problems += audit(page, "activation link no longer valid")
    assert not problems, _report(problems)


def test_every_staff_page(open_context, alice, bob):
    scopes = url_table.prepare(alice, bob)[alice]
    admin = UserFactory(username="admin.browser", role="admin", first_name="Agnès", last_name="Admin")
    page = open_context().new_page()
    login(page, admin.username, PASSWORD)
    assert "/gestion/" in page.url
    start = ["/gestion/"] + _get_urls(url_table.names(STAFF, ACCOUNT, get=True), scopes)
    # Every kind of staff page is opened (each household, each child alike): two of each kind found by links.
    visited, problems = crawl(page, list(dict.fromkeys(start)), per_kind=2,
                              follow=lambda name: TABLE.get(name) is not None and TABLE[name].kind in (STAFF, ACCOUNT))
    assert set(start) <= set(visited)
    assert not problems, _report(problems)
