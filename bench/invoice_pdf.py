#!/usr/bin/env python3
"""The invoice PDF/A archived after an issue, in milliseconds per invoice, and where the time goes.

On the invoices `bench/billing_run.py` issued (régie BENCH; run it first, see bench/README.md). Each round takes
the first N issued invoices, forgets their archived PDF (the files are deleted, `pdf` emptied) and archives them
again with `documents.invoice.archive`, as the worker does after an issue: the figure to hold against the aim of
5 ms. Then, on the same invoices, the parts alone:

- the data: the queries and `invoice.build()` (translations, words), then `renderer.inputs()` (JSON);
- Typst alone, one thread: the data passed as the in-memory file /data.json (what runs), then through
  `sys.inputs` (what the issue first asked for: every document then throws away what Typst memoised);
- Typst on the renderer's pool, one thread per core, as `archive()` compiles.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _per(count, start):
    return (time.perf_counter() - start) * 1000 / count


def _forget(ids):
    from enfance.billing.models import Invoice

    field = Invoice._meta.get_field("pdf")
    for name in Invoice.objects.filter(pk__in=ids).exclude(pdf="").values_list("pdf", flat=True):
        field.storage.delete(name)
    Invoice.objects.filter(pk__in=ids).update(pdf="")


def parts(ids, out=sys.stdout):
    """The parts of archive(), timed alone on these invoices; {part: ms per invoice}."""
    import typst

    from enfance.billing.models import Invoice
    from enfance.documents import invoice as invoice_pdf
    from enfance.documents import renderer

    count = len(ids)
    start = time.perf_counter()
    invoices = list(Invoice.objects.filter(pk__in=ids).select_related("regie", "corrects")
                    .prefetch_related("lines").order_by("pk"))
    data = [invoice_pdf.build(invoice) for invoice in invoices]
    figures = {"queries and build()": _per(count, start)}
    start = time.perf_counter()
    given = [renderer.inputs(one) for one in data]
    figures["inputs() (JSON)"] = _per(count, start)

    renderer._compile(invoice_pdf.TEMPLATE, given[0], True)  # fonts and templates read once
    start = time.perf_counter()
    for one in given:
        renderer._compile(invoice_pdf.TEMPLATE, one, True)
    figures["Typst, one thread, /data.json"] = _per(count, start)

    # The same template made to read sys.inputs.data: the way the issue first described.
    source = renderer.template_path(invoice_pdf.TEMPLATE).read_bytes()
    commune = (renderer.TEMPLATE_DIR / "_commune.typ").read_bytes().replace(
        b'json("/data.json")', b"json(bytes(sys.inputs.data))")
    old = typst.Compiler(root=str(renderer.TEMPLATE_DIR), font_paths=renderer.fonts(), ignore_system_fonts=True)

    def through_sys_inputs(one):
        return old.compile(input={"main.typ": source, "_commune.typ": commune},
                           sys_inputs={**one.images, "data": one.data.decode()}, pdf_standards=renderer.PDF_A,
                           timestamp=int(time.time()))

    through_sys_inputs(given[0])
    start = time.perf_counter()
    for one in given:
        through_sys_inputs(one)
    figures["Typst, one thread, sys.inputs"] = _per(count, start)

    start = time.perf_counter()
    for future in [renderer.submit(invoice_pdf.TEMPLATE, one, pdf_a=True) for one in given]:
        future.result()
    figures[f"Typst, pool of {renderer.POOL_THREADS}"] = _per(count, start)
    for name, ms in figures.items():
        print(f"  {name:34} {ms:6.2f} ms per invoice", file=out)
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="invoices per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of archive() (default 3)")
    parser.add_argument("--no-parts", action="store_true", help="only archive(), not its parts")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enfance.settings")
    import django

    django.setup()
    from django.utils import translation

    translation.activate("fr")
    from enfance.billing.models import Invoice
    from enfance.documents import invoice as invoice_pdf

    ids = list(Invoice.objects.filter(regie__code="BENCH", state=Invoice.State.ISSUED)
               .order_by("pk").values_list("pk", flat=True)[:args.count])
    if not ids:
        raise SystemExit("No issued invoice of the régie BENCH: run bench/billing_run.py first.")
    load = os.getloadavg()[0]
    print(f"{len(ids)} invoices, {args.rounds} rounds of documents.invoice.archive() (load {load:.1f})")
    _forget(ids[:1])
    invoice_pdf.archive(ids[:1])  # the first compile reads fonts and templates
    times = []
    for _ in range(args.rounds):
        _forget(ids)
        start = time.perf_counter()
        stored = invoice_pdf.archive(ids)
        times.append(_per(len(ids), start))
        if stored != len(ids):
            raise SystemExit(f"{stored} PDFs stored out of {len(ids)}")
    print(f"  archive(): {', '.join(f'{ms:.2f}' for ms in times)} ms per invoice; median "
          f"{statistics.median(times):.2f} (aim: 5 ms)")
    size = Invoice.objects.get(pk=ids[-1]).pdf.size
    print(f"  a PDF/A: {size / 1024:.0f} KB")
    if not args.no_parts:
        print("Its parts, alone:")
        parts(ids)


if __name__ == "__main__":
    main()
