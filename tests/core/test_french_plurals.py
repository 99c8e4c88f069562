"""French counts: 0 and 1 take the singular ("0 foyer"), through the compiled French catalogue."""

import re
from pathlib import Path

from django.template import Context, Template
from django.utils import translation
from django.utils.translation import ngettext

PO = Path(__file__).resolve().parents[2] / "enfance" / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _plural_entries():
    text = PO.read_text(encoding="utf-8")
    for entry in text.split("\n\n"):
        if "msgid_plural" not in entry:
            continue
        msgid = "".join(re.findall(r'"(.*)"', entry.split("msgid_plural")[0].split("msgid", 1)[1]))
        plural = "".join(re.findall(r'"(.*)"', entry.split("msgid_plural")[1].split("msgstr[0]")[0]))
        yield msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8"), \
            plural.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_zero_households_is_singular_in_french():
    with translation.override("fr"):
        html = Template("{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} foyer{% plural %}"
                        "{{ counter }} foyers{% endblocktranslate %}")
        assert [html.render(Context({"n": n})) for n in (0, 1, 2)] == ["0 foyer", "1 foyer", "2 foyers"]


def test_the_catalogue_gives_french_forms_for_each_of_its_plural_strings():
    entries = list(_plural_entries())
    assert len(entries) >= 10
    with translation.override("fr"):
        for singular, plural in entries:
            assert ngettext(singular, plural, 0) == singular, singular
            assert ngettext(singular, plural, 2) == plural, plural


def _code_plurals():
    """(file, singular) of every ngettext() in the Python code whose strings are literals."""
    import ast

    root = PO.parents[3]
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            name = getattr(name, "id", None) or getattr(name, "attr", None)
            if isinstance(node, ast.Call) and name in ("ngettext", "ngettext_lazy") and len(node.args) >= 2 \
                    and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args[:2]):
                yield path.relative_to(root), node.args[0].value


def test_every_plural_string_of_the_code_is_in_the_catalogue():
    """Else "0 paiements": Django's default rule is English. Regenerate the catalogue (README) when this fails."""
    known = {singular for singular, _plural in _plural_entries()}
    missing = [f"{path}: {singular}" for path, singular in _code_plurals() if singular not in known]
    assert not missing, missing
