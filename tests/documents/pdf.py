"""Reading the editions back: their text (pypdf), their fonts and their XMP metadata."""

import io
import re

from pypdf import PdfReader


def reader(content):
    assert content[:5] == b"%PDF-", content[:40]
    return PdfReader(io.BytesIO(content))


def text(content):
    """Every page's text, whitespace folded (a long value may wrap across lines)."""
    pages = reader(content).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages)).replace("\u00a0", " ")


def font_names(content):
    names = set()
    for page in reader(content).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def xmp(content):
    metadata = reader(content).xmp_metadata
    return metadata.stream.get_data().decode() if metadata is not None else ""
