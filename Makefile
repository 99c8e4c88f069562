# Enfance: the two commands of the README.
#   make run   sets everything up and serves the demo commune on http://127.0.0.1:8000
#   make test  sets up and runs the whole test suite
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install install-test lint demo-db browser-deps clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 est nécessaire ($(PYTHON) introuvable)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(PIP) install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)
install-test: $(TEST_STAMP)

demo-db: $(STAMP)
	@mkdir -p var/mail
	DEBUG=1 $(PY) manage.py migrate --noinput -v 0
	DEBUG=1 $(PY) manage.py createcachetable
	DEBUG=1 $(PY) manage.py seed_demo --if-empty

# Beside the server: one task worker per queue (e-mail apart, so a long run never delays a password
# reset) and the sweep every minute. Ctrl-C stops the server, and the trap stops the others with it.
run: demo-db
	@DEBUG=1 $(PY) manage.py demo_logins
	@export DEBUG=1 TASKS_BACKEND=django_tasks_db.DatabaseBackend; \
	$(PY) manage.py db_worker --queue-name email --no-reload -v 0 & email_worker=$$!; \
	$(PY) manage.py db_worker --queue-name default --no-reload -v 0 & default_worker=$$!; \
	( trap 'kill $$pause 2>/dev/null; exit 0' TERM INT; \
	  while :; do $(PY) manage.py sweep >/dev/null; sleep 60 & pause=$$!; wait $$pause; done ) & sweep_loop=$$!; \
	trap 'kill $$email_worker $$default_worker $$sweep_loop 2>/dev/null; wait' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# Browser tests need Chromium (/usr/bin/chromium) and axe-core from npm (package-lock.json).
browser-deps:
	@if command -v npm >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then \
		[ -d node_modules/axe-core ] || npm ci --silent --no-audit --no-fund; \
	fi

test: $(TEST_STAMP) browser-deps
	$(VENV)/bin/pytest -n auto $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var node_modules
