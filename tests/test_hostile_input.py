"""Every form of the project receives hostile values: never a server error, always a French message.

The forms are found by crawling the site as each kind of visitor (anonymous,
a household, an administrator), so that a new form is covered without being
listed here. Each submission runs in a savepoint rolled back afterwards.
"""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from enfance.changes.models import ChangeRequest
from enfance.families.models import NewHouseholdApplication

HOSTILE = {
    "very long text": "x" * 20000,
    "markup": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "sql-like": "'; DROP TABLE families_family; -- \" OR 1=1",
    "impossible date": "2026-02-30",
    "huge number": "9" * 40,
    "unusual unicode": "\u202eRTL\u200d\u0301 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👨‍👩‍👧 \u0000",
    "empty": "",
}
FAKE_IMAGE = b"GIF89a<?php system($_GET['c']); ?>" + b"\x00" * 100
SKIP_PATHS = ("/deconnexion/", "/pdf/", "/fichier/")
MAX_PAGES = 150


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.forms, self._form = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action") or "",
                          "fields": []}
        elif self._form is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            self._form["fields"].append((tag, attrs.get("type", "text").lower(), attrs["name"],
                                         attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def crawl(client, start):
    """Same-site GET pages reachable from `start`: one URL per shape (digits replaced)."""
    seen_shapes, queue, pages = set(), list(start), []
    while queue and len(pages) < MAX_PAGES:
        url = queue.pop(0)
        shape = re.sub(r"\d+", "N", urlparse(url).path)
        if shape in seen_shapes or any(s in url for s in SKIP_PATHS) or re.search(r"/N/photo/$", shape):
            continue
        seen_shapes.add(shape)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = FormParser()
        parser.feed(response.content.decode())
        pages.append((url, parser.forms))
        for href in parser.links:
            target = urljoin(url, href)
            if urlparse(target).netloc in ("", "testserver") and not target.startswith("mailto:"):
                queue.append(urlparse(target).path + (f"?{urlparse(target).query}" if urlparse(target).query else ""))
    return pages


def hostile_payload(form, value):
    data, files = {}, {}
    for _tag, kind, name, default in form["fields"]:
        if name == "csrfmiddlewaretoken" or name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS",
                                                             "MAX_NUM_FORMS")):
            data[name] = default
        elif kind == "hidden":
            data[name] = default if name != "website" else ""
        elif kind == "file":
            files[name] = SimpleUploadedFile("photo.jpg", FAKE_IMAGE, content_type="image/jpeg")
        elif kind in ("submit", "button"):
            continue
        elif kind == "checkbox":
            data[name] = "on"
        else:
            data[name] = value
    return {**data, **files}


def submit_all(client, pages):
    checked = 0
    for url, forms in pages:
        for form in forms:
            if form["method"] != "post":
                continue
            action = urljoin(url, form["action"]) if form["action"] else url
            if "/deconnexion/" in action:
                continue
            for label, value in HOSTILE.items():
                with transaction.atomic():
                    response = client.post(urlparse(action).path, hostile_payload(form, value))
                    body = response.content.decode(errors="replace")
                    assert response.status_code < 500, (action, label)
                    assert '<script>alert("x")' not in body, f"unescaped markup on {action}"
                    if response.status_code == 200:
                        assert 'class="error"' in body or 'role="alert"' in body, (
                            f"{action} with {label}: re-rendered without a message")
                    transaction.set_rollback(True)
                checked += 1
    return checked


@pytest.fixture
def slow_forms_pass(monkeypatch):
    # The public form refuses submissions sent faster than a person can type; hostile tests post at once.
    monkeypatch.setattr("enfance.families.application_forms.MIN_FILL_SECONDS", 0)


def test_public_forms_resist_hostile_values(client, db, slow_forms_pass):
    pages = crawl(client, ["/connexion/", "/pre-inscription/", "/mot-de-passe-oublie/"])
    assert submit_all(client, pages) >= 3 * len(HOSTILE)
    assert NewHouseholdApplication.objects.count() == 0


def test_portal_forms_resist_hostile_values(client, alice):
    client.force_login(alice)
    pages = crawl(client, ["/portail/"])
    assert "/portail/enfants/N/photo/modifier/" in {re.sub(r"\d+", "N", urlparse(url).path) for url, _ in pages}
    assert submit_all(client, pages) >= 15 * len(HOSTILE)


def test_staff_forms_resist_hostile_values(client, admin_user, alice, bob):
    from enfance.changes.models import ChangeRequest
    from enfance.rules.models import ServiceRules
    from tests.changes.test_applications import _application

    ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", created_by=alice,
                                 before={"year": "2025"}, proposed={"year": "2024"},
                                 target_id=alice.family.tax_info.pk)
    _application()
    ServiceRules.objects.create(school_year=2026, title="Conditions", text="Texte")
    from enfance.messaging import services as messaging
    from enfance.messaging.models import AnswerTemplate, Topic

    thread = messaging.start_by_family(family=alice.family, user=alice, subject="Question", body="Bonjour",
                                       topic=Topic.objects.first())
    AnswerTemplate.objects.create(title="Accusé de réception", body="Nous avons bien reçu votre message.")
    client.force_login(admin_user)
    pages = crawl(client, ["/gestion/", f"/gestion/familles/{alice.family.pk}/", "/gestion/demandes/",
                           "/gestion/demandes/pre-inscriptions/", "/gestion/conditions/", "/gestion/agents/",
                           "/gestion/messages/", f"/gestion/messages/{thread.pk}/", "/gestion/messages-groupes/",
                           "/gestion/reglages/themes/", "/gestion/reglages/reponses-types/"])
    shapes = {re.sub(r"\d+", "N", urlparse(url).path) for url, forms in pages}
    for expected in ("/gestion/demandes/N/", "/gestion/demandes/pre-inscriptions/N/", "/gestion/conditions/N/",
                     "/gestion/enfants/N/modifier/photo/", "/gestion/messages/N/", "/gestion/messages/ecrire/N/",
                     "/gestion/messages-groupes/nouveau/", "/gestion/reglages/themes/nouveau/",
                     "/gestion/reglages/themes/N/", "/gestion/reglages/reponses-types/N/"):
        assert expected in shapes, expected
    assert submit_all(client, pages) >= 20 * len(HOSTILE)


def test_a_fake_image_is_refused_with_a_message(alice_client, alice):
    child = alice.family.children.first()
    response = alice_client.post(f"/portail/enfants/{child.pk}/photo/modifier/",
                                 {"piece-document": SimpleUploadedFile("x.jpg", FAKE_IMAGE, content_type="image/jpeg")})
    body = response.content.decode()
    assert "Le fichier doit être au format JPEG, PNG ou WebP." in body
    assert not ChangeRequest.objects.exists()


def test_an_oversized_photo_is_refused_with_a_message(alice_client, alice):
    child = alice.family.children.first()
    big = io.BytesIO(b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10))
    response = alice_client.post(f"/portail/enfants/{child.pk}/photo/modifier/",
                                 {"piece-document": SimpleUploadedFile("x.jpg", big.getvalue(), content_type="image/jpeg")})
    assert "dépasse 5 Mo" in response.content.decode()
