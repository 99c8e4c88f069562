"""Every e-mail template, found by walking the apps' template folders, rendered with hostile values:
the text part carries them verbatim, the HTML part escapes them."""

from pathlib import Path

import pytest

import enfance
from enfance.core.mail import render_email

HOSTILE = "L'école & <Les Pins> \"été\""
ESCAPED = "L&#x27;école &amp; &lt;Les Pins&gt; &quot;été&quot;"
# Values that end up inside {% url %} must match the URL patterns; everything else is hostile.
URL_SAFE = {"uid": "MTIz", "token": "cdb4ld-0123456789abcdef", "path": "/activation/MTIz/cdb4ld-01/"}
ENTITIES = ("&#x27;", "&#39;", "&amp;", "&lt;", "&gt;", "&quot;")


class Hostile:
    """Stands for any object a template reads: each attribute is the hostile text, and so is it."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "pk":
            return 1  # inside {% url %}
        return HOSTILE

    def __str__(self):
        return HOSTILE

    def __iter__(self):
        return iter([HOSTILE, HOSTILE])


def email_templates():
    root = Path(enfance.__file__).parent
    found = sorted(str(p.relative_to(p.parents[2])) for p in root.glob("*/templates/*/email/*.txt"))
    assert len(found) >= 5, found  # the walk itself works
    return found


def hostile_context():
    names = ("user", "person", "request", "application", "checklist", "email", "domain", "site_name", "protocol",
             "thread", "message", "notification", "login")
    return {**{name: Hostile() for name in names}, **URL_SAFE}


@pytest.fixture(autouse=True)
def _hostile_commune(settings):
    settings.COMMUNE_NAME = HOSTILE


@pytest.mark.parametrize("template", email_templates())
def test_text_part_keeps_apostrophes_ampersands_and_brackets(template):
    subject, text, _html = render_email(template, hostile_context())
    assert subject and "\n" not in subject
    assert HOSTILE in text
    for entity in ENTITIES:
        assert entity not in text, f"{template}: {entity} in the text part"
        assert entity not in subject, f"{template}: {entity} in the subject"


@pytest.mark.parametrize("template", email_templates())
def test_html_part_escapes_them_and_is_french(template):
    subject, _text, html = render_email(template, hostile_context())
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in html
    assert ESCAPED in html
    assert "<Les Pins>" not in html
    assert "&amp;#x27;" not in html and "&amp;amp;" not in html  # escaped once, not twice


def test_a_template_without_html_part_gets_its_text_escaped_in_the_layout(tmp_path, settings):
    folder = tmp_path / "essai" / "email"
    folder.mkdir(parents=True)
    (folder / "note.txt").write_text("Objet : {{ name }}\nBonjour {{ name }},\nvoir {{ SITE_URL }}/portail/\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    from enfance.core import mail

    mail._text_engine.cache_clear()  # built again from the settings' template folders
    try:
        subject, text, html = render_email("essai/email/note.txt", {"name": HOSTILE})
    finally:
        mail._text_engine.cache_clear()
    assert subject == f"Objet : {HOSTILE}" and f"Bonjour {HOSTILE}," in text
    assert f"Bonjour {ESCAPED}," in html and '<html lang="fr">' in html
    assert f'<a href="{settings.SITE_URL}/portail/"' in html
