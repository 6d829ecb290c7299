# Devolve. `make run` to try it on this machine, `make test` to check it; `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

# The GOV.UK Frontend release that govuk-frontend-jinja 4.1.0 targets. The tarball comes from
# the npm registry and is checked against the registry's published integrity before use.
# Its GDS Transport font is for GOV.UK services only: the font files and @font-face rules are
# left out, so pages fall back to Arial as GOV.UK Frontend intends outside GOV.UK.
GOVUK_FRONTEND_VERSION := 6.3.0
GOVUK_FRONTEND_INTEGRITY := sha512-cXIQxm5PHCsbic47GXZrVBZhAeeshTLRL6ZBKilLsR6rMCjJuWb7Fruq0VUNMBJFlJk/srsRj/q8d5bM9cgKoA==
STATIC := app/static/govuk

.PHONY: help run test install install-dev assets translations messages new-language db demo lint format bench bench-tally bench-process \
	bench-signin bench-load bench-pages bench-maps bench-cast bench-close bench-secrecy bench-messages bench-paper-batch bench-stv bench-network bench-open-data clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime translations ## Create .venv and install what the app needs

install-dev: $(VENV)/.dev translations ## Create .venv and install the app, test and bench tools

# The languages: gettext catalogues committed as .po files (the app's "messages", the counting
# library's "votes"), compiled to .mo here. `make messages` extracts every marked text into the
# templates (.pot) and brings each language's .po up to date with them.
APP_I18N := app/web/translations
VOTES_I18N := votes/locale
PO_FILES := $(wildcard $(APP_I18N)/*/LC_MESSAGES/messages.po $(VOTES_I18N)/*/LC_MESSAGES/votes.po)
MO_FILES := $(PO_FILES:.po=.mo)
KEYWORDS := -k N_ -k Nn_:1,2 -k NP_:1c,2 -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2

%.mo: %.po | $(VENV)/.runtime
	@$(BIN)/pybabel -q compile -i $< -o $@

translations: $(MO_FILES) ## Compile the language catalogues (part of install)

new-language: $(VENV)/.runtime ## Start the catalogues of a new language: make new-language CODE=xx
	@test -n "$(CODE)" || { echo "say which language: make new-language CODE=xx" >&2; exit 2; }
	$(BIN)/pybabel init -i $(APP_I18N)/messages.pot -d $(APP_I18N) -D messages -l $(CODE) --no-wrap
	$(BIN)/pybabel init -i $(VOTES_I18N)/votes.pot -d $(VOTES_I18N) -D votes -l $(CODE) --no-wrap

messages: $(VENV)/.runtime ## Extract every text to translate and update each language's catalogue
	$(BIN)/pybabel -q extract -F $(APP_I18N)/babel.cfg $(KEYWORDS) -c Translators: --no-wrap --sort-by-file --add-location file \
	  --project Devolve --version 1 --copyright-holder "Devolve contributors" -o $(APP_I18N)/messages.pot .
	$(BIN)/pybabel -q update -i $(APP_I18N)/messages.pot -d $(APP_I18N) -D messages --no-wrap \
	  --no-fuzzy-matching
	$(BIN)/pybabel -q extract -F $(VOTES_I18N)/babel.cfg $(KEYWORDS) -c Translators: --no-wrap --sort-by-file --add-location file \
	  --project votes --version 1 --copyright-holder "Devolve contributors" -o $(VOTES_I18N)/votes.pot .
	$(BIN)/pybabel -q update -i $(VOTES_I18N)/votes.pot -d $(VOTES_I18N) -D votes --no-wrap \
	  --no-fuzzy-matching

$(STATIC)/VERSION: Makefile
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  (cd "$$tmp" && npm pack --silent govuk-frontend@$(GOVUK_FRONTEND_VERSION) >/dev/null 2>&1); \
	  tgz=$$(ls "$$tmp"/govuk-frontend-*.tgz); \
	  got="sha512-$$(openssl dgst -sha512 -binary "$$tgz" | base64 -w0)"; \
	  if [ "$$got" != "$(GOVUK_FRONTEND_INTEGRITY)" ]; then echo "govuk-frontend tarball integrity mismatch" >&2; exit 1; fi; \
	  tar -xzf "$$tgz" -C "$$tmp"; \
	  rm -rf $(STATIC); mkdir -p $(STATIC); \
	  cp -R "$$tmp"/package/dist/govuk/. $(STATIC)/; \
	  rm -rf $(STATIC)/assets/fonts; \
	  sed -E -i 's/@font-face\{[^}]*\}//g' $(STATIC)/govuk-frontend.min.css; \
	  echo $(GOVUK_FRONTEND_VERSION) > $@
	@echo "GOV.UK Frontend $(GOVUK_FRONTEND_VERSION) copied to $(STATIC)"

assets: $(STATIC)/VERSION ## Copy GOV.UK Frontend's CSS, JS and images into app/static

db: $(VENV)/.runtime translations ## Migrate the database (SQLite under instance/ unless DATABASE_URL is set)
	$(FLASK) db upgrade

demo: db ## Load the demo councils, rounds and accounts (safe to repeat)
	PORT=$(PORT) $(FLASK) seed-demo

run: $(VENV)/.runtime translations assets demo ## Install everything and serve the demo on 127.0.0.1:$(PORT)
	@export PUBLIC_URL=http://127.0.0.1:$(PORT); \
	  $(FLASK) send-messages & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.dev translations assets ## Install everything and run the whole test suite
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: $(VENV)/.dev ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: bench-tally bench-process bench-signin bench-load bench-pages bench-maps bench-cast bench-close bench-secrecy bench-messages bench-paper-batch bench-stv bench-network bench-open-data ## Run every benchmark

bench-tally: $(VENV)/.dev ## Time votes against pabutools on the pabulib elections
	$(BIN)/python bench/tally.py

bench-network: $(VENV)/.dev ## Time the network's pages for 13 councils of 10 published rounds each (DATABASE_URL: PostgreSQL)
	$(BIN)/python bench/network.py

bench-stv: $(VENV)/.dev ## Time the Scottish and Meek STV counts against votekit on the Scottish elections
	$(BIN)/python bench/stv.py

bench-open-data: $(VENV)/.dev ## Time building the network's open data (650 pots, 700,000 ballots) from nothing, from memory and from disk
	$(BIN)/python bench/open_data.py

bench-process: $(VENV)/.dev ## Time python -m votes tally against pabutools, whole processes
	$(BIN)/python bench/process.py

bench-signin: $(VENV)/.dev ## Time sign-in's password hashing, new parameters against old
	$(BIN)/python bench/signin.py

bench-load: $(VENV)/.dev ## Load-test gunicorn on PostgreSQL through HTTP (needs Redis, pgbench)
	$(BIN)/python bench/load.py

bench-pages: $(VENV)/.dev ## Time the public pages at 100 and at 100,000 ballots (DATABASE_URL: PostgreSQL)
	$(BIN)/python bench/pages.py

bench-maps: $(VENV)/.dev ## Time the round page with a map of 200 proposals and 6 boundaries against it without (DATABASE_URL: PostgreSQL)
	$(BIN)/python bench/maps.py

bench-cast: $(VENV)/.dev ## Time the confirm step in an empty round and one of 250,000 ballots (DATABASE_URL: PostgreSQL)
	$(BIN)/python bench/cast.py

bench-close: $(VENV)/.dev ## Time closing, exporting and verifying a pot of 250,000 ballots
	$(BIN)/python bench/close.py

bench-secrecy: $(VENV)/.dev ## Time encrypting, shuffling, decrypting and verifying a pot of 100,000 ballots
	$(BIN)/python bench/secrecy.py

bench-messages: $(VENV)/.dev ## Time queueing a reminder to 100,000 residents and sending through a fake Notify (DATABASE_URL: PostgreSQL too)
	$(BIN)/python bench/messages.py

bench-paper-batch: $(VENV)/.dev ## Time checking and storing a file of 10,000 paper ballots against entering them one by one (DATABASE_URL: PostgreSQL)
	$(BIN)/python bench/paper_batch.py

clean: ## Remove the virtualenv, built assets and the local database
	rm -rf $(VENV) $(STATIC) instance .pytest_cache
