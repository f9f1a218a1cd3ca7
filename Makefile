# rasa-electra — two commands for a new user: `make demo` and `make test` (both set up first).
# The experiments and pretraining live in lab/Makefile (`make -f lab/Makefile help`).
SHELL := /bin/bash
.DEFAULT_GOAL := help
# Rasa otherwise tries to send telemetry and error reports to its servers.
export RASA_TELEMETRY_ENABLED := false
VENV ?= .venv
PY := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.setup-done
# Pretraining has its own environment (Python 3.11, torch CPU build, Accelerate); its tests run there.
PRETRAIN_VENV := .venv-pretrain
PRETRAIN_PY := $(PRETRAIN_VENV)/bin/python
PRETRAIN_STAMP := $(PRETRAIN_VENV)/.setup-done
GSD_VERSION ?= v2.6-NE
# The shared read-only copy of the release on these machines; elsewhere the convert command
# downloads the canonical release files (or set GSD_SOURCE to a folder holding them).
GSD_SOURCE ?= $(wildcard ../shared/data/ud_japanese_gsd_ne)
DATA_DIR := data/gsd_$(GSD_VERSION)
MODEL_DIR := models
# Rasa cuts a fixed model name at its first dot, so the version's dot becomes an underscore.
VERSION_TAG := $(subst .,_,$(GSD_VERSION))
CRF_MODEL := $(MODEL_DIR)/crf-gsd-$(VERSION_TAG).tar.gz

# ELECTRA starts from START_POINT: the encoder shipped in pretrained/electra-small-ja (see its
# pretraining_card.json), or an HF dir, TF1 checkpoint or hub id given instead.
SHIPPED_ENCODER := pretrained/electra-small-ja
START_POINT ?= $(SHIPPED_ENCODER)
# The fine-tuning command's export (ELECTRA_DIR) that pre-trained mode (config-electra.yml),
# `make eval`, `make formats` and `make bench` read, chosen on dev for the shipped encoder
# within 20 minutes on 2 cores (docs/defaults.md): 4 epochs at 3e-4, 10% warmup.
EXPORT_EPOCHS ?= 4
EXPORT_LR ?= 3e-4
EXPORT_WARMUP ?= 0.1
EXPORT_HEAD ?= crf
# empty: the fine-tuning defaults' word features (defaults.WORD_FEATURES)
EXPORT_FEATURES ?=
# Rasa's own command line without the deprecation warnings its stack prints (SQLAlchemy 2.0's,
# pkg_resources', jax's, pyparsing's): `rasa-electra rasa` filters them as every command does
RASA := $(VENV)/bin/rasa-electra rasa
# Per GSD version, so `GSD_VERSION=r2.8-NE` never reuses a v2.6 model.
ELECTRA_DIR := $(MODEL_DIR)/electra-demo-$(VERSION_TAG)
ELECTRA_MODEL := $(MODEL_DIR)/electra-gsd-$(VERSION_TAG).tar.gz
JOINED_MODEL := $(MODEL_DIR)/electra-crf-gsd-$(VERSION_TAG).tar.gz
JOINED_CONFIG := $(MODEL_DIR)/config-electra-crf-$(VERSION_TAG).yml
REPORT_DIR := reports/gsd-$(GSD_VERSION)

.PHONY: help setup pretrain-setup system-deps test test-fast lint convert train-crf train-electra \
	train-joined demo eval bot bot-shell formats bench gpu-kit scoreboard lock clean

help:  ## this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

setup: $(SETUP_STAMP)  ## .venv (Python 3.10, Rasa, TF) from requirements.lock

$(SETUP_STAMP): requirements.lock pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

pretrain-setup: $(PRETRAIN_STAMP)  ## .venv-pretrain (torch CPU, transformers 5)

$(PRETRAIN_STAMP): requirements-pretrain.lock scripts/setup.sh
	bash scripts/setup.sh pretrain
	touch $@

system-deps:  ## Debian packages the tests need (redis-server), via apt-get when missing
	bash scripts/system-deps.sh

# Rasa/TF tests in .venv, pretraining tests in .venv-pretrain (torch); the TF side also loads a
# model the pretraining commands make, so it is handed that environment's interpreter.
TEST_WORKERS ?= 2
test: lint pretrain-setup system-deps  ## ruff, then the whole suite (both environments)
	RASA_ELECTRA_PRETRAIN_PYTHON=$(PRETRAIN_PY) $(PY) -m pytest --ignore=tests/pretraining \
		-n $(TEST_WORKERS) --dist loadfile
	$(PRETRAIN_PY) -m pytest tests/pretraining

# the edit loop: no torch environment, no slow tests
test-fast: lint  ## ruff + the tests not marked slow, Rasa environment only
	$(PY) -m pytest --ignore=tests/pretraining -m "not slow"

lint: setup  ## ruff check + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

convert: $(DATA_DIR)/summary.json  ## GSD's NE release → Rasa YAML (data/gsd_<version>/)

# a file target: eval, formats and bench reuse the converted data instead of converting again
$(DATA_DIR)/summary.json: | $(SETUP_STAMP)
	$(PY) -m rasa_electra.cli.convert $(if $(GSD_SOURCE),--source $(GSD_SOURCE)) \
		--version $(GSD_VERSION) --out $(DATA_DIR)

# $(call train-gsd,CONFIG,ARCHIVE): `rasa train nlu` on GSD train into ARCHIVE, a
# $(MODEL_DIR)/NAME.tar.gz
train-gsd = $(RASA) train nlu --config $(1) --nlu $(DATA_DIR)/train.yml --out $(MODEL_DIR) \
	--fixed-model-name $(notdir $(2:.tar.gz=))

train-crf: $(CRF_MODEL)

$(CRF_MODEL): $(DATA_DIR)/summary.json config.yml
	mkdir -p $(MODEL_DIR)
	$(call train-gsd,config.yml,$(CRF_MODEL))

$(ELECTRA_DIR)/export/saved_model.pb: | $(DATA_DIR)/summary.json
	$(PY) -m rasa_electra.cli.finetune --start-point $(START_POINT) \
		--data $(DATA_DIR) --epochs $(EXPORT_EPOCHS) --batch-size 32 --learning-rate $(EXPORT_LR) \
		--warmup-ratio $(EXPORT_WARMUP) --head $(EXPORT_HEAD) \
		$(if $(EXPORT_FEATURES),--word-features $(EXPORT_FEATURES)) --out $(ELECTRA_DIR)

# config-electra.yml with model_path set to this version's export
train-electra: $(ELECTRA_DIR)/export/saved_model.pb  ## fine-tune an export, then `rasa train` config-electra.yml on it
	sed 's|^\( *model_path:\).*|\1 $(ELECTRA_DIR)/export|' config-electra.yml > $(ELECTRA_DIR)/config.yml
	$(call train-gsd,$(ELECTRA_DIR)/config.yml,$(ELECTRA_MODEL))

# The pipeline a bot uses (README, "Use it in your bot"): config-electra-crf.yml in trainable
# mode, where `rasa train` fine-tunes START_POINT beside the CRF it joins. The config names the
# installed encoder package; another START_POINT is written into a copy.
JOINED_START := $(if $(filter $(SHIPPED_ENCODER),$(START_POINT)),electra-small-ja,$(START_POINT))
train-joined: $(JOINED_MODEL)

$(JOINED_MODEL): $(DATA_DIR)/summary.json config-electra-crf.yml
	mkdir -p $(MODEL_DIR)
	sed 's|^\( *pretrained:\).*|\1 $(JOINED_START)|' config-electra-crf.yml > $(JOINED_CONFIG)
	$(call train-gsd,$(JOINED_CONFIG),$(JOINED_MODEL))

# The main job: GSD → Rasa data, `rasa train` the CRF baseline and the joined pipeline, then
# parse and score the test split through each trained Rasa model, and show the pipeline's
# recorded runs (three seeds each) beside this one seed.
demo: train-crf train-joined  ## convert GSD, train the CRF + ELECTRA joined with it, score test through Rasa
	$(PY) -m rasa_electra.cli.parse --model $(CRF_MODEL) --data $(DATA_DIR)/test.yml --show 3
	$(PY) -m rasa_electra.cli.parse --model $(JOINED_MODEL) --data $(DATA_DIR)/test.yml --show 3
	@echo "config-electra-crf.yml's recorded runs on GSD, three seeds each (docs/results.md):"
	@$(PY) -m rasa_electra.cli.scoreboard --show dev-gsd-$(VERSION_TAG)-joined || true
	@$(PY) -m rasa_electra.cli.scoreboard --show test-gsd-$(VERSION_TAG)-joined || true

# Every system through Rasa on the test split, the same run: reports/gsd-<version>/ and a record
# in docs/scoreboard.json (`make scoreboard` then rewrites docs/results.md's tables). Stochastic
# systems (diet, spacy) get EVAL_TRIALS seeds; DIET's epochs are chosen on dev among
# EVAL_DIET_EPOCHS. Models are kept by recipe, so a rerun resumes.
EVAL_SYSTEMS ?= crf,crf-rasa,ginza,electra,spacy,diet
EVAL_TRIALS ?= 3
EVAL_DIET_EPOCHS ?= 5,10
# several exports (one recipe, one per fine-tuning seed) are one ELECTRA trial each
EVAL_ELECTRA_EXPORT ?= $(ELECTRA_DIR)/export
EVAL_RUN ?= eval-gsd-$(VERSION_TAG)
EVAL_NOTE ?=
# more of rasa_electra.cli.evaluate's options, e.g. --electra-o-bias 0.5
EVAL_ARGS ?=
eval: $(addsuffix /saved_model.pb,$(EVAL_ELECTRA_EXPORT)) | $(DATA_DIR)/summary.json  ## all systems through the harness, recorded
	$(PY) -m rasa_electra.cli.evaluate --data $(DATA_DIR) --systems $(EVAL_SYSTEMS) \
		$(addprefix --electra-export ,$(EVAL_ELECTRA_EXPORT)) --trials $(EVAL_TRIALS) \
		--diet-epochs $(EVAL_DIET_EPOCHS) --title "UD_Japanese-GSD $(GSD_VERSION) test" \
		--out $(REPORT_DIR) --scoreboard docs/scoreboard.json --run $(EVAL_RUN) \
		$(if $(EVAL_NOTE),--note "$(EVAL_NOTE)") $(EVAL_ARGS)

scoreboard: setup  ## docs/results.md's comparison tables from docs/scoreboard.json
	$(PY) -m rasa_electra.cli.scoreboard --render docs/results.md

# The example booking bot (examples/booking_bot): its own domain, intents, form and stories,
# entities from the CRF and the shipped encoder joined, fine-tuned at `rasa train` on the bot's
# data under its names. Talk to it: `make bot-shell`, or `rasa run --enable-api -m $(BOT_MODEL)
# --credentials $(BOT_DIR)/credentials.yml`.
BOT_DIR := examples/booking_bot
BOT_MODEL := $(MODEL_DIR)/booking-bot.tar.gz
bot: $(BOT_MODEL)  ## train the example booking bot (the shipped encoder joined with the CRF)

$(BOT_MODEL): $(BOT_DIR)/config.yml $(BOT_DIR)/domain.yml $(wildcard $(BOT_DIR)/data/*.yml) | $(SETUP_STAMP)
	$(RASA) train --config $(BOT_DIR)/config.yml --domain $(BOT_DIR)/domain.yml \
		--data $(BOT_DIR)/data --out $(MODEL_DIR) --fixed-model-name $(notdir $(BOT_MODEL:.tar.gz=))

bot-shell: bot  ## talk to the booking bot in `rasa shell`
	$(RASA) shell -m $(BOT_MODEL)

# The fine-tuning command's export as TFLite (float32, dynamic int8, float16) and ONNX (float32,
# dynamic int8), each scored against the SavedModel on dev/test; offered to the component within
# 0.5 dev F1.
formats: $(ELECTRA_DIR)/export/saved_model.pb  ## TFLite/ONNX formats of the fine-tuning command's export
	$(PY) -m rasa_electra.cli.export_formats --export $(ELECTRA_DIR)/export --data $(DATA_DIR)

# CRF vs ELECTRA through Rasa: latency, batch throughput, `rasa run` load test. `electra` is the
# component's default backend (auto: the export's fastest offered format); electra@FORMAT one format
BENCH_SYSTEMS ?= crf,electra,electra@savedmodel,electra@tflite-dynamic,electra@onnx
bench: formats  ## latency, throughput and load test per backend
	$(PY) -m rasa_electra.cli.benchmark_serving --data $(DATA_DIR)/test.yml --messages 200 \
		--train $(DATA_DIR)/train.yml --electra-export $(ELECTRA_DIR)/export \
		--systems $(BENCH_SYSTEMS) --load-requests 300 --concurrency 8 \
		--out reports/serving-$(GSD_VERSION)

# The next GPU session's cargo (corpus, shards, pack and resume kit: lab/Makefile); on the device
#   bash scripts/gpu_pretrain.sh corpus/resume-kit/pack corpus/resume-kit/weights
ifndef LAB_MAKEFILE
gpu-kit:  ## what the next GPU session carries (resume the shipped encoder)
	$(MAKE) -f lab/Makefile gpu-kit
endif

# Regenerate requirements.lock from pyproject.toml (needs network to PyPI).
lock: setup
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra onnx --python-version 3.10 \
		--extra peers --extra sudachi --python-platform x86_64-manylinux_2_28 -o requirements.lock

clean:  ## remove environments, corpus, models and generated data
	rm -rf $(VENV) $(PRETRAIN_VENV) corpus $(MODEL_DIR) data/gsd_* .pytest_cache .ruff_cache .hypothesis
