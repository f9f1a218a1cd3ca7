# rasa-electra — two commands for a new user: `make demo` and `make test` (both set up first).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.setup-done
GSD_VERSION ?= v2.6-NE
# The shared read-only copy of the release on these machines; elsewhere the convert command
# downloads the canonical release files (or set GSD_SOURCE to a folder holding them).
GSD_SOURCE ?= $(wildcard ../shared/data/ud_japanese_gsd_ne)
DATA_DIR := data/gsd_$(GSD_VERSION)
MODEL_DIR := models
# Rasa cuts a fixed model name at its first dot, so the version's dot becomes an underscore.
CRF_MODEL := $(MODEL_DIR)/crf-gsd-$(subst .,_,$(GSD_VERSION)).tar.gz

.PHONY: setup test lint demo convert train-crf lock clean

setup: $(SETUP_STAMP)

$(SETUP_STAMP): requirements.lock pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

convert: setup
	$(PY) -m training.convert $(if $(GSD_SOURCE),--source $(GSD_SOURCE)) \
		--version $(GSD_VERSION) --out $(DATA_DIR)

train-crf: convert
	mkdir -p $(MODEL_DIR)
	$(VENV)/bin/rasa train nlu --config config.yml --nlu $(DATA_DIR)/train.yml \
		--out $(MODEL_DIR) --fixed-model-name $(notdir $(CRF_MODEL:.tar.gz=))

# The main job: GSD → Rasa data, train the CRF baseline, parse and score the test split.
demo: train-crf
	$(PY) -m training.parse --model $(CRF_MODEL) \
		--data $(DATA_DIR)/test.yml --show 5

# Regenerate requirements.lock from pyproject.toml (needs network to PyPI).
lock: setup
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.10 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock

clean:
	rm -rf $(VENV) $(MODEL_DIR) data/gsd_* .pytest_cache .ruff_cache .hypothesis
