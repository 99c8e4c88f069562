"""What the browser tests do on every page: log in, audit (axe-core, no sideways scrolling), crawl."""

from urllib.parse import urldefrag, urlsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError

from tests.url_table import POST_ONLY

from .conftest import AXE_URL

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],  # passes and incomplete results are not needed: faster
}
SIZES = [(1280, 800), (375, 740)]
MAX_PAGES = 250


def login(page, username, password):
    page.goto("/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form:has(input[name=password]) button[type=submit]")


def _describe(violation):
    lines = [f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"]
    for node in violation["nodes"][:8]:
        target = " ".join(" > ".join(t) if isinstance(t, list) else t for t in node["target"])
        lines.append(f"      at {target}: {node.get('failureSummary', '').replace(chr(10), ' ')[:300]}")
    if len(violation["nodes"]) > 8:
        lines.append(f"      ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


WIDEST = """() => {
  const limit = window.innerWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > limit + 1)
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string'
      ? '.' + e.className.trim().split(/\\s+/).join('.') : '') + ' (right ' + Math.round(e.getBoundingClientRect().right) + 'px)');
}"""


def audit(page, label):
    """axe-core at both widths and no sideways scrolling; returns the problems in words."""
    problems = []
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        for violation in result["violations"]:
            problems.append(f"{label} at {width}px:\n{_describe(violation)}")
        scroll_width, inner_width = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > inner_width:
            problems.append(f"{label} at {width}px scrolls sideways: {scroll_width}px of content for {inner_width}px; "
                            f"too wide: {', '.join(page.evaluate(WIDEST))}")
    page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    return problems


def url_name(path):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


def kind_of(path, query):
    """A page's kind: its URL name, the words in its URL (a category) and its query's keys, not the ids."""
    match = resolve(path)
    # Identifiers and dates (a sheet's day) are not words: one kind for every day.
    words = tuple(sorted(str(v) for v in match.kwargs.values() if not str(v).replace("-", "").isdigit()))
    keys = tuple(sorted(part.split("=")[0] for part in query.split("&") if part))
    return (match.view_name, words, keys)


def crawl(page, start, *, follow, per_kind=None):
    """Open every page reachable from `start` through same-site links to URL names `follow(name)` accepts.

    Returns (visited paths, problems). Links to POST-only views and to logout are never followed; with
    per_kind, links to more than that many pages of one kind (see kind_of) are not followed either (the
    start pages are always opened). Every page must answer 200; HTML pages are audited, other files
    (photos) only opened.
    """
    queue, seen, problems = list(start), set(), []
    kinds = {}
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console.append(str(error)))
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        if len(seen) > MAX_PAGES:
            problems.append(f"more than {MAX_PAGES} pages reached from {start[0]}: the crawl stopped")
            break
        del console[:]
        try:
            response = page.goto(path)
        except PlaywrightError as exc:
            if "Download is starting" not in str(exc):
                raise
            response = page.request.get(path)  # a file the browser downloads (a PDF): checked, not shown
            if response.status != 200:
                problems.append(f"{path}: HTTP {response.status}")
            continue
        if response is None or response.status != 200:
            problems.append(f"{path}: HTTP {response.status if response else 'no response'}")
            continue
        if not (response.headers.get("content-type") or "").startswith("text/html"):
            continue
        netloc = urlsplit(page.url).netloc
        problems += audit(page, path)
        problems += [f"{path}: browser console: {text}" for text in console]
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target = urlsplit(urldefrag(href)[0])
            if target.scheme not in ("http", "https") or target.netloc != netloc:
                continue
            name = url_name(target.path)
            if name is None or name in POST_ONLY or name == "accounts:logout" or not follow(name):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if per_kind is not None and link not in seen and link not in queue:
                kind = kind_of(target.path, target.query)
                if kinds.get(kind, 0) >= per_kind:
                    continue
                kinds[kind] = kinds.get(kind, 0) + 1
            queue.append(link)
    return sorted(seen), problems
