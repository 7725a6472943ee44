# ShelfAI — `make run` and `make test` are all a newcomer needs (Python 3.11 on the PATH).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv migrate worker web lint bench-intake clean translations

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

# Translations: each .mo from its .po, only when stale (Babel, pure Python: no GNU gettext needed).
MO := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
%.mo: %.po $(STAMP)
	DEBUG=1 $(PY) manage.py compile_translations

translations: $(MO)

migrate: $(STAMP) translations
	DEBUG=$${DEBUG-1} $(PY) manage.py migrate --noinput

run: migrate
	DEBUG=$${DEBUG-1} HOST=$(HOST) PORT=$(PORT) $(PY) manage.py run_all

test: $(STAMP) translations
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench-intake: $(STAMP)
	$(PY) bench/intake.py

clean:
	rm -rf var/media var/broker var/shelfai.sqlite3*
