"""bench/documents.py on a tiny database: every variant renders every sheet (the figures are bench/README.md's)."""

import importlib.util
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("documents_bench", ROOT / "bench" / "documents.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_renders_each_sheet_in_each_variant(bench, alice):
    out = io.StringIO()
    results = bench.run(2, complete=True, out=out)
    assert set(results) == {"fresh compile, system fonts", "fresh compile, project fonts", "reused compiler",
                            "reused compiler, PDF/A-2b"}
    assert all(len(times) == 2 and all(t > 0 for t in times) for times in results.values())
    assert "2 complete child sheets" in out.getvalue() and "ms per document" in out.getvalue()


def test_the_bench_says_when_there_is_nothing_to_render(bench, db):
    with pytest.raises(SystemExit, match="No child"):
        bench.run(5)
