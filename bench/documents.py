#!/usr/bin/env python3
"""Child sheets through Typst: milliseconds per document, a fresh compile each time against the reused compiler.

On the children of the database of DATABASE_URL, or var/enfance.sqlite3 (`make demo-db`, or a database filled by
`manage.py generate_commune`). The sheets' data (queries, JSON, the photo) is made once, first, and timed apart;
then each variant renders every sheet from the same inputs (renderer.inputs(): /data.json and the images):

- fresh compile, system fonts: `typst.compile()` per document, the system's and Typst's own fonts searched too;
- fresh compile, project fonts: `typst.compile()` per document, enfance/documents/fonts only;
- reused compiler: enfance.documents.renderer, one Compiler per template, the project's fonts (what runs);
- reused compiler, PDF/A-2b: the same, as archived documents are (issued invoices, credit notes).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _timed(render, inputs):
    times = []
    for one in inputs:
        start = time.perf_counter()
        render(one)
        times.append((time.perf_counter() - start) * 1000)
    return times


def run(count, *, complete=False, out=sys.stdout):
    """Render `count` child sheets in each variant; print and return {variant: [ms per document]}."""
    import typst

    from enfance.documents import child_sheet, renderer
    from enfance.families.models import Child

    children = list(Child.objects.select_related("health").prefetch_related("vaccinations", "authorized_persons")
                    .order_by("pk")[:count])
    if not children:
        raise SystemExit("No child in this database: run `make demo-db` or `manage.py generate_commune` first.")
    start = time.perf_counter()
    inputs = [renderer.inputs(*child_sheet.build(child, complete=complete)) for child in children]
    data_ms = (time.perf_counter() - start) * 1000 / len(children)
    root, font_dir = str(renderer.TEMPLATE_DIR), str(renderer.FONT_DIR)
    source = renderer.template_path("child_sheet").read_bytes()

    def files(i):
        return {"main.typ": source, "data.json": i.data}

    variants = {
        "fresh compile, system fonts": lambda i: typst.compile(files(i), root=root, font_paths=[font_dir],
                                                               sys_inputs=i.images),
        "fresh compile, project fonts": lambda i: typst.compile(files(i), root=root, font_paths=[font_dir],
                                                                ignore_system_fonts=True, sys_inputs=i.images),
        "reused compiler": lambda i: renderer._compile("child_sheet", i, pdf_a=False),
        "reused compiler, PDF/A-2b": lambda i: renderer._compile("child_sheet", i, pdf_a=True),
    }
    renderer._compile("child_sheet", inputs[0], pdf_a=False)  # the first compile reads fonts and templates
    kind = "complete" if complete else "simple"
    print(f"{len(children)} {kind} child sheets; their data (queries, JSON, photo): {data_ms:.1f} ms per sheet",
          file=out)
    results = {}
    for name, render in variants.items():
        times = results[name] = _timed(render, inputs)
        print(f"  {name:30} {statistics.mean(times):7.2f} ms per document (median {statistics.median(times):.2f})",
              file=out)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="child sheets to render (default 200)")
    parser.add_argument("--complete", action="store_true", help="the complete sheet (health data) instead")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enfance.settings")
    import django

    django.setup()
    from django.utils import translation

    translation.activate("fr")
    run(args.count, complete=args.complete)


if __name__ == "__main__":
    main()
