"""Typst editions: templates in the repository, data in as JSON, the project's fonts only.

One typst.Compiler is kept per template and thread and reused: a fresh compile finds the fonts and parses the
templates again each time, a kept one reuses them and Typst's memoised layout (bench/documents.py measures
both). No `@preview` package: they are downloaded at compile time.

The data is JSON in an in-memory file, `/data.json`, that the templates read with `json()`; it is never Typst
source, so a child named `#panic()` prints as typed. It is not in `sys.inputs`: those are part of Typst's
standard library, so inputs that change at every document throw away everything Typst memoised, the layout of
what every invoice shares included (bench/invoice_pdf.py times both ways). Only what stays the same from one
document to the next, or is rare, travels in `sys.inputs`: the commune's logo, a child's photo.
"""

import datetime
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import typst
from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _

BASE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = BASE_DIR / "templates"
FONT_DIR = BASE_DIR / "fonts"
FONT_FAMILY = "DejaVu Sans"  # the family in FONT_DIR; _commune.typ asks for it
PDF_A = "a-2b"  # archived documents (issued invoices, credit notes)

_local = threading.local()  # {template: Compiler} per thread: a compile is not meant to run twice at once
_lock = threading.Lock()
_fonts = None
_logo = {}  # {(path, mtime): the image as sys.inputs carries it}
_sources = {}  # {template: (mtime, its source as bytes)}: the main file goes in with the data at each compile
_pool = None
# Typst lays out with the GIL released: documents made in bulk (an issue's invoices) compile on every core.
POOL_THREADS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Inputs:
    """What a compile reads besides the templates: the data as JSON bytes, and images as sys.inputs strings."""

    data: bytes
    images: dict


@dataclass(frozen=True)
class Edition:
    """A rendered document and the name it is downloaded under."""

    pdf: bytes
    filename: str


def filename(*parts):
    """An ASCII file name from words that may be anyone's name: "Léa N'Diaye" -> "lea-ndiaye"."""
    return "-".join(slug for slug in (slugify(str(part)) for part in parts) if slug) + ".pdf"


def fonts():
    """The project's fonts and nothing else: neither the system's nor those built into Typst."""
    global _fonts
    with _lock:
        if _fonts is None:
            _fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False,
                                 font_paths=[str(FONT_DIR)])
        return _fonts


def template_path(template):
    path = TEMPLATE_DIR / f"{template}.typ"
    if template.startswith("_") or "/" in template or not path.is_file():
        raise ValueError(f"no document template {template!r} in {TEMPLATE_DIR}")
    return path


def compiler(template):
    """The thread's Compiler for this template, made on first use."""
    compilers = getattr(_local, "compilers", None)
    if compilers is None:
        compilers = _local.compilers = {}
    found = compilers.get(template)
    if found is None:
        found = compilers[template] = typst.Compiler(
            str(template_path(template)), root=str(TEMPLATE_DIR), font_paths=fonts(), ignore_system_fonts=True)
    return found


def _json_default(value):
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def image_input(content):
    """Image bytes as sys.inputs can carry them (strings only): a JSON array of the bytes, which the template
    turns back with `bytes(json(bytes(...)))`. The template root stays the templates folder."""
    return str(list(content))


def _logo_input():
    path = settings.COMMUNE_LOGO
    if not path:
        return None
    try:
        key = (path, Path(path).stat().st_mtime)
    except OSError:
        return None  # the deployment check (documents.W001) says so; the letterhead shows the name alone
    if key not in _logo:
        _logo.clear()
        _logo[key] = image_input(Path(path).read_bytes())
    return _logo[key]


def long_date(day):
    """"1er novembre 2026": the French ordinal of a month's first day, as the pages write it."""
    from enfance.core.templatetags.enfance import day_month

    return day_month(day, "Y")


def commune_data():
    """The letterhead: the commune's name, contact lines and the page footer, from the settings."""
    reach = [settings.COMMUNE_EMAIL]
    if settings.COMMUNE_PHONE:
        reach.insert(0, _("Tél. %(phone)s") % {"phone": settings.COMMUNE_PHONE})
    contact = [settings.COMMUNE_ADDRESS, " · ".join(p for p in reach if p), settings.COMMUNE_WEBSITE]
    if settings.COMMUNE_HOURS:
        contact.append(_("Accueil %(hours)s") % {"hours": settings.COMMUNE_HOURS})
    title = _("Mairie de %(name)s") % {"name": settings.COMMUNE_NAME}
    return {
        "republic": _("République française"),
        "title": title,
        "service": _("Service enfance"),
        "contact": [line for line in contact if line],
        "footer": _("%(title)s · document édité le %(date)s") % {"title": title,
                                                               "date": long_date(timezone.localdate())},
    }


def inputs(data, images=None):
    """What a template reads: `data` (with the letterhead under "commune") as /data.json, and one sys.inputs
    entry per image, `image_<name>`."""
    encoded = json.dumps({"commune": commune_data(), **data}, default=_json_default, ensure_ascii=False)
    strings = {}
    logo = _logo_input()
    if logo is not None:
        strings["image_logo"] = logo
    for name, content in (images or {}).items():
        if content:
            strings[f"image_{name}"] = image_input(content)
    return Inputs(encoded.encode(), strings)


def _source(template):
    path = template_path(template)
    mtime = path.stat().st_mtime
    found = _sources.get(template)
    if found is None or found[0] != mtime:
        found = _sources[template] = (mtime, path.read_bytes())
    return found[1]


def _compile(template, given, pdf_a):
    # The template is the main file and the data a file beside it, both in memory; `_commune.typ` and the other
    # files the template imports are read from TEMPLATE_DIR, the root. Files given at one compile are gone at
    # the next: a document never sees another's data.
    return compiler(template).compile(
        input={"main.typ": _source(template), "data.json": given.data},
        sys_inputs=given.images,
        pdf_standards=PDF_A if pdf_a else [],
        timestamp=int(time.time()),  # PDF/A wants a creation date; Typst takes whole seconds
    )


def render(template, data, *, pdf_a=False, images=None):
    """The PDF of templates/<template>.typ fed with `data`; PDF/A-2b with pdf_a (documents kept for years)."""
    return _compile(template, inputs(data, images), pdf_a)


def submit(template, given, *, pdf_a=False):
    """A Future of the PDF of `template` fed with `given` (from inputs(), made by the caller: the data is read
    and translated in the caller's thread, the pool only compiles). The pool's threads keep their compilers."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="typst")
    return _pool.submit(_compile, template, given, pdf_a)
