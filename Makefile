# Brightcart support assistant. `make run` to chat, `make test` to check everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(PY) -m rasa
STAMP := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed
MODEL := models/brightcart.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml') $(wildcard components/*.py) \
	nlu_eval/robustness.py nlu_eval/similarity.py

# Rasa 3.6 runs on Python 3.10 at most: take pyenv's (see .python-version) or python3.10.
PYTHON310 := $(shell for p in "$$(pyenv which python3.10 2>/dev/null)" "$$(command -v python3.10 2>/dev/null)"; do \
	[ -n "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null && { echo "$$p"; break; }; done)

export PYTHONHASHSEED := 0
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install train run run-scaled shell demo-db customer-models actions validate test test-stories lint nlu-report crossval clean

help:
	@echo "make run       serve the web chat page and report (installs and trains if needed)"
	@echo "make test      run the whole test suite (what CI runs)"
	@echo "make install   create .venv and install the pinned dependencies"
	@echo "make train     train the model if data, domain or config changed"
	@echo "make shell     chat in the terminal instead (as a demo customer you choose)"
	@echo "make run-scaled  two Rasa servers behind nginx on PostgreSQL, Redis, RabbitMQ"
	@echo "make demo-db   create var/profiles.db and fill it with a synthetic shop (if empty)"
	@echo "make customer-models  train and score segments, churn, recommender (if stale)"
	@echo "make actions   start only the action server"
	@echo "make validate  check data, domain and personalization.yml"
	@echo "make test-stories  only the test stories (rasa test core)"
	@echo "make nlu-report  the NLU measured on the held-out and robustness sets (results/nlu/)"
	@echo "make crossval  5-fold cross-validation, near-duplicates in one fold (results/crossval/)"
	@echo "make lint      ruff"
	@echo "make clean     remove models, results and caches (keeps .venv)"

install: $(STAMP) $(WEB_STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@if [ ! -x $(PY) ]; then \
		if [ -z "$(PYTHON310)" ]; then \
			echo "Python 3.10 is needed (Rasa 3.6 supports no newer Python) and none was found."; \
			echo "Install it with 'pyenv install 3.10' (this folder's .python-version selects it)"; \
			echo "or your system's python3.10 and python3.10-venv packages, then run make again."; \
			exit 1; \
		fi; \
		echo "Creating $(VENV) with $(PYTHON310)"; \
		$(PYTHON310) -m venv $(VENV); \
	fi
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' || { \
		echo "$(VENV) uses $$($(PY) --version); Rasa 3.6 needs Python 3.10. Remove $(VENV) and run make again."; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt -c constraints.txt
	@touch $@

# The chat page's one npm package (socket.io-client), exactly as web/package-lock.json pins it.
$(WEB_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18 or newer) is needed for the web chat page: install your system's nodejs and npm packages, then run make again."; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

train: $(MODEL)

$(MODEL): $(TRAINING_INPUTS) | $(STAMP)
	$(RASA) train --fixed-model-name brightcart --out models
	@touch $@

# Local demos only (README): a demo write key for the event API, a demo hash key and a demo
# identity secret (the web page and the terminal chat sign the chosen customer's id with it).
run run-scaled shell demo-db customer-models: export EVENTS_WRITE_KEYS ?= demo-write-key
run run-scaled shell demo-db customer-models actions: export PERSONALIZATION_HASH_KEY ?= demo-hash-key-for-local-use-only
run run-scaled shell: export PERSONALIZATION_IDENTITY_SECRET ?= demo-identity-secret-for-local-use-only

run: $(MODEL) customer-models $(WEB_STAMP)
	$(PY) -m scripts.stack --model $(MODEL)

# The scale-out configuration on this machine's PostgreSQL, Redis and RabbitMQ, with nginx in
# front of two Rasa servers (docs/deployment.md).
run-scaled: $(MODEL) $(WEB_STAMP)
	$(PY) -m scripts.scaled_stack --prepare
	$(PY) -m scripts.scaled_stack

shell: $(MODEL) customer-models
	$(PY) -m scripts.stack --model $(MODEL) --terminal

demo-db: $(STAMP)
	$(PY) -m personalization db upgrade
	$(PY) -m personalization demo-data --customers 5000 --if-empty

# Segments, churn model and recommender from var/profiles.db, when missing or stale.
customer-models: demo-db
	$(PY) -m personalization train --if-stale --score

actions: $(STAMP)
	$(PY) -m rasa_sdk --actions actions --port 5055 --logging-config_file config/logging.yml  # port: endpoints.yml's; rasa_sdk spells the option so

validate: $(STAMP)
	$(RASA) data validate --fail-on-warnings
	$(PY) -m personalization rules check

lint: $(STAMP)
	$(PY) -m ruff check .

test-stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests --fail-on-prediction-errors --out results/stories

test: lint validate test-stories $(WEB_STAMP)
	$(PY) -m pytest

nlu-report: $(MODEL)
	$(PY) -m scripts.nlu_report --model $(MODEL) --out results/nlu

crossval: $(STAMP)
	$(PY) -m scripts.crossval --folds 5 --out results/crossval

clean:
	rm -rf models/*.tar.gz results .rasa .pytest_cache .ruff_cache
