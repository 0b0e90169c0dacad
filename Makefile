# motcua: `make run` and `make test` do every set-up step they need, and skip what is done.
SHELL := /bin/bash
# Python 3.10 (Rasa 3.6 runs on 3.8-3.10): pyenv's, or python3.10 on PATH; when there is none (a stock Debian 12 or
# Ubuntu 24.04), scripts/python310.sh gets one with uv (uv from PyPI into ~/.local/share/motcua/tools, then
# `uv python install 3.10`) and says so; an existing .venv is used as it is.
PYTHON_FOUND := $(or $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python3.10))),$(shell command -v python3.10))
PYTHON_BASE ?= $(eval PYTHON_BASE := $(or $(PYTHON_FOUND),$(wildcard $(VENV)/bin/python),$(shell bash scripts/python310.sh)))$(PYTHON_BASE)
VENV := .venv
BIN := $(VENV)/bin
RASA_DATA := data/nlu.yml data/rules.yml data/stories.yml
# Rasa's training cache, shared by every clone on this machine: a component whose inputs and code did not change
# (its fingerprint, nlu/components.py) is restored instead of trained again. `make clean` leaves it; delete it to
# train everything from scratch.
export RASA_CACHE_DIRECTORY ?= $(HOME)/.cache/motcua/rasa

.PHONY: run chat test install model load lint validate bench clean constraints browser

$(BIN)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON_BASE)" || { echo "python3.10 not found (Rasa 3.6 needs Python 3.8-3.10)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON_BASE) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.13,<0.14'
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed

model: install
	$(BIN)/motcua train

load: install
	$(BIN)/motcua load

run: model load
	$(BIN)/motcua serve

chat: model load
	$(BIN)/motcua chat

# Debian's chromium for the browser test (installed as root when missing; never a downloaded browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing and not root: the browser test will be skipped"; fi; \
	fi

lint: install
	$(BIN)/ruff check bot nlu actions tests bench
	$(BIN)/lint-imports

validate: install
	@mkdir -p var; SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore $(BIN)/rasa data validate --domain domain.yml \
		--config config.yml --data $(RASA_DATA) --fail-on-warnings > var/validate.log 2>&1 \
		&& echo "Rasa data validate: domain, NLU data, rules and stories are consistent (var/validate.log)." \
		|| { cat var/validate.log; exit 1; }

# The model trains from the first moment it can (right after install); the checks and the tests that need no
# model (`needs_model`, tests/conftest.py) run beside it, the checks at a lower priority, the tests at the same one
# in four workers (they wait more than they compute: servers, subprocesses, retries; 174 s in four against 196 s in
# two, alone; at nice 10 they ended 80 s after training on a cold cache, session 7 run 17); then
# the model's tests (two workers); last, the logs of both phases (var/test-logs) are searched for the sample data's
# names, phone numbers and ID numbers (tests/leak_check.py). pytest's warnings plugin is off (PYTEST_QUIET): the
# project's filters (pyproject.toml) already ignore deprecation and user warnings, and all its summary still showed was
# TensorFlow's and Keras's import-time warnings of a fresh venv, recorded while the workers import them.
PYTEST_QUIET := -p no:warnings
test: install browser
	@mkdir -p var; rm -rf var/test-logs; export MOTCUA_TEST_LOG_DIR=$$PWD/var/test-logs; \
	$(BIN)/motcua train & train=$$!; \
	nice -n 10 $(MAKE) --no-print-directory lint validate load || { kill $$train; exit 1; }; \
	$(BIN)/python -m pytest -q $(PYTEST_QUIET) -m "not needs_model" -n 4; fast=$$?; \
	wait $$train || { echo "Training failed (var/train.log)."; exit 1; }; \
	$(BIN)/python -m pytest -q $(PYTEST_QUIET) -m needs_model -n 2 --dist loadfile; slow=$$?; \
	$(BIN)/python -m tests.leak_check var/test-logs; leak=$$?; \
	exit $$(( fast != 0 || slow != 0 || leak != 0 ))

bench: model load
	$(BIN)/python bench/nlu.py --anchor --cv-folds 3

constraints: install
	{ head -2 constraints.txt; $(BIN)/uv pip freeze --quiet --python $(BIN)/python --exclude-editable | grep -Ev '^(uv|pip)==' | sort -f; } > constraints.new && mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) models var .pytest_cache
