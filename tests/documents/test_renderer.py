"""The Typst renderer: the commune's letterhead, data never read as Typst source, the project's fonts only,
PDF/A for archives, one Compiler per template reused."""

import os
import threading

import pytest
import typst
from django.core import checks

from enfance.documents import renderer
from enfance.documents.checks import commune_logo_is_readable
from tests.helpers import png_bytes

from .pdf import font_names, reader, text, xmp

HOSTILE = ['#panic("injected")', "*gras* _italique_ `code`", "$x^2$", 'guillemets " et \\ barre',
           '#import "/etc/passwd"', "] ) } [ <label> @ref", "= Titre", "#{ 1 + 1 }", "// commentaire /*"]


def _sheet(title, fields):
    return {"title": title, "identity": {"title": "Identité", "fields": fields}, "photo_label": "Photo",
            "sections": []}


def test_the_letterhead_is_the_communes_from_the_settings(settings):
    settings.COMMUNE_NAME = "Saint-Paul-en-Forêt"
    settings.COMMUNE_ADDRESS = "1 place de l'Église, 83440 Saint-Paul-en-Forêt"
    settings.COMMUNE_PHONE = "04 65 71 00 00"
    settings.COMMUNE_EMAIL = "mairie@saint-paul.example"
    settings.COMMUNE_HOURS = "le jeudi de 9 h à 12 h"
    body = text(renderer.render("child_sheet", _sheet("Fiche enfant", [])))
    for expected in ("RÉPUBLIQUE FRANÇAISE", "Mairie de Saint-Paul-en-Forêt", "1 place de l'Église, 83440",
                     "Tél. 04 65 71 00 00", "mairie@saint-paul.example", "Accueil le jeudi de 9 h à 12 h",
                     "Fiche enfant", "document édité le", "1 / 1"):
        assert expected in body, expected


@pytest.mark.parametrize("hostile", HOSTILE)
def test_user_text_prints_as_typed_and_is_never_typst_source(hostile):
    data = _sheet(hostile, [{"label": hostile, "value": hostile}, {"label": "Autre", "value": f"a {hostile} b"}])
    body = text(renderer.render("child_sheet", data))
    assert body.count(" ".join(hostile.split())) >= 3, body  # the title, the label, the value


def test_pdf_a_2b_for_archived_documents():
    plain = renderer.render("child_sheet", _sheet("Facture", []))
    archived = renderer.render("child_sheet", _sheet("Facture", []), pdf_a=True)
    metadata = xmp(archived)
    assert "<pdfaid:part>2</pdfaid:part>" in metadata and "<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    assert "pdfaid" not in xmp(plain)
    assert "xmp:CreateDate" in metadata  # PDF/A wants the creation date
    assert text(archived) == text(plain)


def test_only_the_projects_fonts_are_known_and_used():
    known = renderer.fonts().fonts()
    assert known and {font.family for font in known} == {renderer.FONT_FAMILY}
    assert all(font.path and font.path.startswith(str(renderer.FONT_DIR)) for font in known)
    assert (renderer.FONT_DIR / "LICENSE.txt").is_file()
    data = _sheet("Fiche", [{"label": "Nom", "value": "Nguyễn Łukasz Ğül"}])
    content = renderer.render("child_sheet", data)
    assert font_names(content) <= {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"}
    assert "Nguyễn Łukasz Ğül" in text(content)


def test_one_compiler_per_template_reused_across_renders(monkeypatch):
    made = []
    real = typst.Compiler

    def counting(*args, **kwargs):
        made.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(renderer.typst, "Compiler", counting)
    monkeypatch.setattr(renderer._local, "compilers", {}, raising=False)
    first = renderer.render("child_sheet", _sheet("Première", []))
    second = renderer.render("child_sheet", _sheet("Seconde", []))
    assert len(made) == 1 and made[0].endswith("child_sheet.typ")
    assert "Première" in text(first) and "Seconde" in text(second)  # the data is not kept from one to the next
    renderer.render("dossier", {"title": "Dossier", "intro": [], "sections": [],
                                "signature": {"place_date": "Fait à", "signers": ["Signature"]}})
    assert len(made) == 2 and renderer.compiler("child_sheet") is renderer.compiler("child_sheet")


def test_each_thread_has_its_own_compiler():
    here = renderer.compiler("child_sheet")
    there = []
    thread = threading.Thread(target=lambda: there.append(renderer.compiler("child_sheet")))
    thread.start()
    thread.join()
    assert there and there[0] is not here


def test_only_document_templates_can_be_named():
    for name in ("_commune", "../settings", "missing"):
        with pytest.raises(ValueError):
            renderer.render(name, {})


def test_the_logo_from_the_settings_is_printed(settings, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes((120, 60)))
    settings.COMMUNE_LOGO = str(logo)
    assert commune_logo_is_readable(None) == []
    with_logo = reader(renderer.render("child_sheet", _sheet("Fiche", []))).pages[0]
    assert any(x.get_object()["/Subtype"] == "/Image" for x in with_logo["/Resources"].get("/XObject", {}).values())
    settings.COMMUNE_LOGO = str(tmp_path / "gone.png")
    assert "Mairie de" in text(renderer.render("child_sheet", _sheet("Fiche", [])))  # printed without it
    [warning] = commune_logo_is_readable(None)
    assert isinstance(warning, checks.Warning) and warning.id == "documents.W001"


def test_file_names_are_plain_ascii():
    assert renderer.filename("fiche enfant", "Léa", "N'Diaye-Öztürk") == "fiche-enfant-lea-ndiaye-ozturk.pdf"
    assert renderer.filename("dossier", "", "F00012") == "dossier-f00012.pdf"


def test_a_document_never_sees_the_data_or_images_of_the_one_before():
    first = renderer.inputs(_sheet("Première", []), {"photo": png_bytes((90, 120))})
    assert "Première".encode() in first.data and "data" not in first.images  # the data is a file, not an input
    with_photo = renderer._compile("child_sheet", first, pdf_a=False)
    without = renderer._compile("child_sheet", renderer.inputs(_sheet("Seconde", [])), pdf_a=False)

    def images(pdf):
        return sum(len(page.images) for page in reader(pdf).pages)

    assert images(with_photo) == images(without) + 1
    assert "Seconde" in text(without) and "Première" not in text(without)


def test_a_template_edited_on_disk_is_read_again(tmp_path, monkeypatch):
    for source in renderer.TEMPLATE_DIR.glob("*.typ"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(renderer, "TEMPLATE_DIR", tmp_path)
    monkeypatch.setattr(renderer, "_sources", {})
    monkeypatch.setattr(renderer._local, "compilers", {}, raising=False)
    assert "Première" in text(renderer.render("child_sheet", _sheet("Première", [])))
    sheet = tmp_path / "child_sheet.typ"
    sheet.write_text(sheet.read_text() + "\nAjouté après coup\n")
    os.utime(sheet, (sheet.stat().st_atime, sheet.stat().st_mtime + 5))
    assert "Ajouté après coup" in text(renderer.render("child_sheet", _sheet("Première", [])))
