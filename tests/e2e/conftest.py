"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

Needs /usr/bin/chromium and axe-core from npm (node_modules/axe-core, pinned in
package-lock.json). Without them the tests are skipped with a one-line message,
unless REQUIRE_BROWSER=1, which turns the skip into a failure; SKIP_BROWSER=1
skips them all. No browser is ever downloaded, and every request the page makes
to a host other than the live server is aborted and fails the test.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# The Playwright sync API runs an event loop in this thread; the ORM beside it must not refuse to work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
    # No name but the live server's resolves: a request the routes do not see (the target of a redirect) can
    # still never reach a real host (a bank's page after the pay button, tests/e2e/test_bank_redirects.py).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
AXE_URL = "/__tests__/axe.min.js"  # answered by the route handler, so that the page's CSP ('self') lets axe in
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}
INSTALL_HINT = "install them with: apt-get install chromium && npm ci"


def _flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def missing_dependencies():
    missing = []
    if not (CHROMIUM.exists() or shutil.which(str(CHROMIUM))):
        missing.append(str(CHROMIUM))
    if not AXE.exists():
        missing.append("node_modules/axe-core/axe.min.js")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    return missing


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    if _flag("SKIP_BROWSER"):
        reason = "browser tests left out (SKIP_BROWSER=1)"
    elif (missing := missing_dependencies()) and not _flag("REQUIRE_BROWSER"):
        reason = f"browser tests skipped: {', '.join(missing)} missing; {INSTALL_HINT}"
    else:
        return
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session."""
    if missing := missing_dependencies():
        message = f"browser tests cannot run: {', '.join(missing)} missing; {INSTALL_HINT}"
        if _flag("REQUIRE_BROWSER"):
            pytest.fail(message + " (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


class Guarded:
    """A browser context that reaches the live server only; what it tried elsewhere is kept in `blocked`."""

    def __init__(self, browser, live_server, **options):
        self.base = live_server.url.rstrip("/")
        self.netloc = urlsplit(self.base).netloc
        self.blocked = []
        self.context = browser.new_context(base_url=self.base, locale="fr-FR", **options)
        self.context.set_default_timeout(10_000)
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = urlsplit(route.request.url)
        if url.scheme not in NETWORK_SCHEMES:
            route.continue_()  # the browser's own resources (its PDF viewer: chrome-extension://...)
        elif url.netloc == self.netloc:
            if url.path == AXE_URL:
                route.fulfill(path=str(AXE), content_type="application/javascript")
            else:
                route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def new_page(self):
        return self.context.new_page()

    def close(self):
        self.context.close()


@pytest.fixture
def task_worker(settings, transactional_db):
    """As under `make run`: tasks go to the database backend and a worker (here a thread) runs them."""
    import threading

    from django.db import connections
    from django_tasks_db.management.commands.db_worker import Worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}}
    worker = Worker(queue_names=list(settings.TASK_QUEUES), interval=0.1, batch=False, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="e2e", excluded_queue_names=[])
    def run():
        try:
            worker.run()
        finally:
            connections.close_all()  # this thread's connection, or the test database cannot be dropped

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield worker
    worker.running = False
    thread.join(10)


def guarded_contexts(browser, live_server):
    """The body of every `open_context` fixture: yields a maker of guarded contexts, closes them, and fails if
    any page went outside. Test modules that need no task worker override the fixture with `yield from` it."""
    made = []

    def make(**options):
        guarded = Guarded(browser, live_server, **options)
        made.append(guarded)
        return guarded

    yield make
    blocked = [url for guarded in made for url in guarded.blocked]
    for guarded in made:
        guarded.close()
    if blocked:
        pytest.fail("pages tried to reach other hosts than the live server:\n  " + "\n  ".join(blocked), pytrace=False)


@pytest.fixture
def open_context(browser, live_server, transactional_db, task_worker):
    """Makes guarded contexts (new_context(java_script_enabled=False) and friends); fails if any went outside."""
    yield from guarded_contexts(browser, live_server)


@pytest.fixture
def page(open_context):
    """A page in a fresh context, JavaScript on."""
    return open_context().new_page()
