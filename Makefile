# rasa-electra — two commands for a new user: `make demo` and `make test` (both set up first).
SHELL := /bin/bash
.DEFAULT_GOAL := help
# Rasa otherwise tries to send telemetry and error reports to its servers.
export RASA_TELEMETRY_ENABLED := false
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
VERSION_TAG := $(subst .,_,$(GSD_VERSION))
CRF_MODEL := $(MODEL_DIR)/crf-gsd-$(VERSION_TAG).tar.gz

# The ELECTRA demo model starts from START_POINT (an HF dir, TF1 checkpoint or hub id; by default
# the published Japanese ELECTRA-small on the hub). Where that cannot be had (no network), it says
# so and falls back to the encoder shipped in pretrained/electra-small-ja (GPU-pretrained; see its
# pretraining_card.json), else to an untrained ELECTRA-small over a WordPiece vocabulary learned
# on GSD train. A CPU `make pretrain` output is never a default: pass it as START_POINT.
START_POINT ?= electra-small-japanese
SHIPPED_ENCODER := pretrained/electra-small-ja
# The pretrained weights before self-training adapted them (`make adapt-encoder`): the shipped
# folder itself until then; after, the commit its card names, restored once into models/. The
# ablation, self-training and the GPU kit start from these, so recorded runs stay reproducible.
PRETRAINING_COMMIT := $(shell grep -o '"pretraining_commit": "[0-9a-f]*"' \
	$(SHIPPED_ENCODER)/pretraining_card.json 2>/dev/null | cut -d'"' -f4)
PRETRAINING_ENCODER := $(if $(PRETRAINING_COMMIT),$(MODEL_DIR)/electra-small-ja-pretrained-$(PRETRAINING_COMMIT),$(SHIPPED_ENCODER))
# Chosen on dev for the shipped encoder within the demo's 20 minutes on 2 cores (docs/results.md:
# 4 epochs at 3e-4, 10% warmup). The untrained fallback needs a long warmup instead (0.4: it
# sticks at predicting O otherwise) and more epochs: pass DEMO_WARMUP/DEMO_EPOCHS for it.
DEMO_EPOCHS ?= 4
DEMO_LR ?= 3e-4
DEMO_WARMUP ?= 0.1
DEMO_HEAD ?= crf
# empty: the fine-tuning defaults' word features (defaults.WORD_FEATURES)
DEMO_FEATURES ?=
# Per GSD version, so `make demo GSD_VERSION=r2.8-NE` never reuses a v2.6 model.
VOCAB_DIR := $(MODEL_DIR)/vocab-gsd-$(VERSION_TAG)-8k
ELECTRA_DIR := $(MODEL_DIR)/electra-demo-$(VERSION_TAG)
ELECTRA_MODEL := $(MODEL_DIR)/electra-gsd-$(VERSION_TAG).tar.gz

EVAL_TRIALS ?= 3
REPORT_DIR := reports/gsd-$(GSD_VERSION)

# Pretraining: its own environment (Python 3.11, torch CPU build, Accelerate), its own corpus.
PRETRAIN_VENV := .venv-pretrain
PRETRAIN_PY := $(PRETRAIN_VENV)/bin/python
PRETRAIN_STAMP := $(PRETRAIN_VENV)/.setup-done
JA_TEXT ?= ../shared/data/ja_text
CORPUS_DIR := corpus
# All of ja_text but livedoor (the probe's data): Wikipedia prose (GSD's domain) and JGLUE first,
# then Aozora Bunko books, so SHARD_DOCUMENTS=N keeps the modern text.
WIKI_TEXT := $(JA_TEXT)/wikipedia
CORPUS_SOURCES ?= $(WIKI_TEXT)/kyoto_wikipedia.txt.xz:plain $(WIKI_TEXT)/jaquad_contexts.txt.xz:plain \
	$(WIKI_TEXT)/kyoto_univ_wac.txt.xz:plain $(JA_TEXT)/jglue/jglue_text.txt:lines \
	$(JA_TEXT)/aozora/aozora_150M.txt.xz:plain
PRETRAIN_VOCAB_SIZE ?= 32000
PRETRAIN_VOCAB := $(MODEL_DIR)/vocab-ja-$(PRETRAIN_VOCAB_SIZE)
PRETRAIN_PRESET ?= small
PRETRAIN_SEQ ?= 128
SHARDS_DIR := $(CORPUS_DIR)/shards-$(PRETRAIN_SEQ)
SHARD_DOCUMENTS ?=
PRETRAIN_DIR ?= $(MODEL_DIR)/electra-$(PRETRAIN_PRESET)-ja
PRETRAIN_ARGS ?=
PROBE_TRIALS ?= 5

comma := ,
.PHONY: ablation trainable-eval self-training adapt-encoder soup student help setup pretrain-setup test test-fast lint system-deps bot bot-shell demo eval convert train-crf train-electra \
	lock clean pretrain probe formats bench gpu-kit scoreboard

setup: $(SETUP_STAMP)  ## .venv (Python 3.10, Rasa, TF) from requirements.lock

$(SETUP_STAMP): requirements.lock pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

pretrain-setup: $(PRETRAIN_STAMP)  ## .venv-pretrain (torch CPU, transformers 5)

$(PRETRAIN_STAMP): requirements-pretrain.lock scripts/setup.sh
	bash scripts/setup.sh pretrain
	touch $@

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

# Rasa/TF tests in .venv, pretraining tests in .venv-pretrain (torch); the TF side also loads a
# model the pretraining commands make, so it is handed that environment's interpreter.
system-deps:  ## Debian packages the tests need (redis-server), via apt-get when missing
	bash scripts/system-deps.sh

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

convert: $(DATA_DIR)/summary.json

# a file target: eval, formats and bench reuse the converted data instead of converting again
$(DATA_DIR)/summary.json: | $(SETUP_STAMP)
	$(PY) -m rasa_electra.cli.convert $(if $(GSD_SOURCE),--source $(GSD_SOURCE)) \
		--version $(GSD_VERSION) --out $(DATA_DIR)

train-crf: $(CRF_MODEL)

$(CRF_MODEL): $(DATA_DIR)/summary.json config.yml
	mkdir -p $(MODEL_DIR)
	$(VENV)/bin/rasa train nlu --config config.yml --nlu $(DATA_DIR)/train.yml \
		--out $(MODEL_DIR) --fixed-model-name $(notdir $(CRF_MODEL:.tar.gz=))

$(VOCAB_DIR)/vocab.txt: | $(DATA_DIR)/summary.json
	$(PY) -m rasa_electra.cli.build_vocab --rasa $(DATA_DIR)/train.yml --size 8000 --out $(VOCAB_DIR)

$(ELECTRA_DIR)/export/saved_model.pb: | $(VOCAB_DIR)/vocab.txt
	$(PY) -m rasa_electra.cli.finetune \
		--start-point $(START_POINT) --fallback $(SHIPPED_ENCODER) \
		--fallback random-init:small:$(VOCAB_DIR) \
		--data $(DATA_DIR) --epochs $(DEMO_EPOCHS) --batch-size 32 --learning-rate $(DEMO_LR) \
		--warmup-ratio $(DEMO_WARMUP) --head $(DEMO_HEAD) \
		$(if $(DEMO_FEATURES),--word-features $(DEMO_FEATURES)) --out $(ELECTRA_DIR)

# config-electra.yml with model_path set to this version's export
train-electra: $(ELECTRA_DIR)/export/saved_model.pb
	sed 's|^\( *model_path:\).*|\1 $(ELECTRA_DIR)/export|' config-electra.yml > $(ELECTRA_DIR)/config.yml
	$(VENV)/bin/rasa train nlu --config $(ELECTRA_DIR)/config.yml --nlu $(DATA_DIR)/train.yml \
		--out $(MODEL_DIR) --fixed-model-name $(notdir $(ELECTRA_MODEL:.tar.gz=))

# The main job: GSD → Rasa data, train the CRF baseline and the ELECTRA pipeline, then parse
# and score the test split through each trained Rasa model.
demo: train-crf train-electra  ## convert GSD, train CRF + ELECTRA, score test through Rasa
	$(PY) -m rasa_electra.cli.parse --model $(CRF_MODEL) --data $(DATA_DIR)/test.yml --show 3
	$(PY) -m rasa_electra.cli.parse --model $(ELECTRA_MODEL) --data $(DATA_DIR)/test.yml --show 3
	@echo "make demo shortens ELECTRA's recipe to fit 20 minutes on 2 cores: $(DEMO_EPOCHS) gold epochs with the POS and"
	@echo "shape features, continuing the shipped encoder and its entity head, whose self-training (one epoch on 50,000 Wikipedia sentences"
	@echo "the CRF labelled) is already done, and one seed. The full recipe trains 10 gold epochs and a soup"
	@echo "of three seeds: about 80 min on 2 cores ('Weight averaging' in docs/results.md)."
	@echo "On dev:"
	@$(PY) -m rasa_electra.cli.ablation --recorded docs/ablation.json \
		--cost $(ELECTRA_DIR)/results.json --lever $(RECIPE_LEVER) || true
	@echo "The recipe's recorded test run (make recipe):"
	@$(PY) -m rasa_electra.cli.scoreboard --show $(RECIPE_RUN) || true

# Every system through Rasa on the test split, the same run: reports/gsd-<version>/ and a record
# in docs/scoreboard.json (`make scoreboard` then rewrites docs/results.md's tables). Stochastic
# systems (diet, spacy) get EVAL_TRIALS seeds; DIET's epochs are chosen on dev among
# EVAL_DIET_EPOCHS. An epoch is 57 s on 2 cores, so the default grid is what fits a 3-hour
# working session beside everything else (about 2 hours in all). Models are kept by recipe, so a
# rerun resumes, and a longer grid (EVAL_DIET_EPOCHS=5,10,20,40) trains only what is new.
EVAL_SYSTEMS ?= crf,crf-rasa,ginza,electra,spacy,diet
EVAL_DIET_EPOCHS ?= 5,10
# several exports (one recipe, one per fine-tuning seed) are one ELECTRA trial each, e.g.
# EVAL_ELECTRA_EXPORT="$(ABLATION_DIR)/crf-head-s42/export $(ABLATION_DIR)/crf-head-s43/export …"
EVAL_ELECTRA_EXPORT ?= $(ELECTRA_DIR)/export
# ELECTRA's full recipe measured on test (`make recipe`); make demo shows it after its own
RECIPE_RUN ?= eval-gsd-$(VERSION_TAG)-recipe
# its row in docs/ablation.json (`make ablation` records it), which make demo prices itself by:
# decoded as the component serves it, with the memory and the fine-tuning command's O bias (read
# from defaults; the soups' cards record the ablation's 0, so `make eval` is told this one)
O_BIAS := $(shell sed -n 's/^O_BIAS = //p' rasa_electra/defaults.py)
RECIPE_LEVER = $(SILVER_RUN)-then-gold-$(RECIPE_SOUP)+viterbi+learned+memory+o_bias$(O_BIAS)
# the record's name in docs/scoreboard.json, and what a reader of it must know
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

# Trainable mode on test: `rasa train` fine-tunes the shipped folder with the component's
# defaults (no export, no dev), beside the CRF, recorded as TRAINABLE_RUN. About 75 min on 2
# cores (average_seeds: 3); the CRF's model is reused when its config and data are unchanged.
TRAINABLE_RUN ?= eval-gsd-$(VERSION_TAG)-trainable
trainable-eval: | $(DATA_DIR)/summary.json  ## ELECTRA in trainable mode (component defaults) against the CRF on test
	$(MAKE) eval EVAL_SYSTEMS=crf,electra EVAL_TRIALS=1 EVAL_ELECTRA_EXPORT= EVAL_RUN=$(TRAINABLE_RUN) \
		EVAL_ARGS="--electra-start-point $(SHIPPED_ENCODER)" \
		EVAL_NOTE="$(or $(EVAL_NOTE),ELECTRA in trainable mode: rasa train fine-tunes $(SHIPPED_ENCODER) on GSD train with the component's defaults)"

# ELECTRA's recipe at 3 seeds, chosen on dev: one silver stage, nine gold fine-tunings from it,
# three soups of three (one model each), each given the entity memory of GSD train, then test
# read once beside the CRFs, recorded as RECIPE_RUN. Every step skips what is done, so a rerun
# resumes; about 3.5 hours on 2 cores.
RECIPE_SOUP := soup
RECIPE_SEEDS := 42,43,44 45,46,47 48,49,50
RECIPE_SOUPS = $(foreach group,$(RECIPE_SEEDS),$(ABLATION_DIR)/$(SILVER_RUN)-then-gold-$(RECIPE_SOUP)-s$(firstword $(subst $(comma), ,$(group)))/export)
# the recipe's soups decoded with and without the memory and the O bias (score-decoding), rows of
# the ablation
RECIPE_DECODING = $(ABLATION_DIR)/decoding-recipe.json
recipe: | $(DATA_DIR)/summary.json  ## ELECTRA's full recipe at 3 seeds, then test beside the CRFs (resumes)
	$(MAKE) self-training ABLATION_SEEDS="$(subst $(comma), ,$(RECIPE_SEEDS))"
	$(MAKE) soup SOUP_LEVERS=$(SILVER_RUN)-then-gold SOUP_NAME=$(RECIPE_SOUP) SOUP_SEEDS="$(RECIPE_SEEDS)"
	$(PY) -m rasa_electra.cli.entity_memory $(addprefix --export ,$(RECIPE_SOUPS)) \
		--train $(DATA_DIR)/train.yml
	$(PY) -m rasa_electra.cli.score_decoding $(addprefix --export ,$(RECIPE_SOUPS)) \
		--data $(DATA_DIR)/dev.yml --out $(RECIPE_DECODING)
	$(MAKE) eval EVAL_SYSTEMS=crf,crf-rasa,electra EVAL_RUN=$(RECIPE_RUN) \
		EVAL_ELECTRA_EXPORT="$(RECIPE_SOUPS)" EVAL_ARGS="--electra-o-bias $(O_BIAS)" \
		EVAL_NOTE="ELECTRA: three soups of three gold fine-tunings ($(RECIPE_SEEDS)) from one silver stage, each with the entity memory of GSD train, decoded with O bias $(O_BIAS); dev figures in docs/results.md"

# The dev ablation of issue 22: each lever fine-tuned from the shipped encoder at 3 seeds, one
# folder per run (a finished run is skipped, so a rerun resumes), the softmax and CRF-head models
# decoded each way (score-decoding), then one table row per lever (mean ± std) and the dev curves.
# About 25 min a run on 2 cores.
ABLATION_DIR ?= results/ablation
ABLATION_SEEDS ?= 42 43 44
ABLATION_LEVERS ?= softmax crf-head word-features crf-head-pos-features sudachi-b-crf-head-pos-features
# levers are measured without the entity memory and the O bias, which are rows of their own
# (RECIPE_DECODING), and without word features unless the lever names them (a later flag wins)
ABLATION_RECIPE ?= --epochs 10 --batch-size 32 --learning-rate 3e-4 --warmup-ratio 0.1 --formats none \
	--entity-memory 0 --o-bias 0 --word-features ''
WORD_FEATURES ?= pos,pos-1,pos+1,shape,word,prefix2,suffix2
POS_FEATURES ?= pos,pos-1,pos+1,shape
# every lever names its head: the default head (defaults.HEAD) is the CRF since the ablation chose it
ablation-args-softmax := --head softmax
ablation-args-crf-head := --head crf
ablation-args-word-features := --head softmax --word-features $(WORD_FEATURES)
ablation-args-crf-head-word-features := --head crf --word-features $(WORD_FEATURES)
ablation-args-crf-head-pos-features := --head crf --word-features $(POS_FEATURES)
# the same on the words of the CRF's dev-chosen dictionary instead of the encoder's own (ipadic)
ablation-args-sudachi-b-crf-head-pos-features := --head crf --word-features $(POS_FEATURES) --words sudachi:B
# the same with every seed's new head drawn from seed 42 (its seed-42 run is the lever's above):
# one start point from the encoder, as trainable mode's average_seeds has it, so a soup is safe
ablation-args-sudachi-b-one-start := $(ablation-args-sudachi-b-crf-head-pos-features) --init-seed 42
# the schedule on the CRF head alone (trainable mode's defaults), one change each; a later flag wins
ablation-args-crf-head-lr5e4 := --head crf --learning-rate 5e-4
ablation-args-crf-head-lr2e4 := --head crf --learning-rate 2e-4
ablation-args-crf-head-e20 := --head crf --epochs 20
# lr 2e-4 with every seed's head drawn from seed 42 (its seed-42 run is crf-head-lr2e4's): the
# seeds trainable mode's `average_seeds: 3` averages, for `rasa-electra soup` on dev
ablation-args-crf-head-lr2e4-one-start := --head crf --learning-rate 2e-4 --init-seed 42
# the POS and shape features' own share at 2e-4 from the pretrained encoder: the control for
# adapted-crf-head-lr2e4-pos-features below
ablation-args-crf-head-lr2e4-pos-features := $(ablation-args-crf-head-lr2e4-one-start) \
	--word-features $(POS_FEATURES)
# trainable mode's defaults for a new head (CRF head, 2e-4) from the shipped encoder once `make
# adapt-encoder` made it self-trained (every other lever starts from the pretrained weights),
# its entity head left unread (--new-head); every seed's head drawn from seed 42, as
# `average_seeds` does, so `make soup` of its seeds is what trainable mode trained before the
# shipped folder kept that head
ablation-args-adapted-crf-head-lr2e4 := --head crf --learning-rate 2e-4 --start-point $(SHIPPED_ENCODER) \
	--init-seed 42 --new-head
# the same with the POS and shape features the silver stage was trained with
ablation-args-adapted-crf-head-lr2e4-pos-features := $(ablation-args-adapted-crf-head-lr2e4) \
	--word-features $(POS_FEATURES)
# the shipped folder's entity head continued at the recipe's gold-stage rate, 3e-4, with the POS
# and shape features, every seed's fresh weights from seed 42
CONTINUED_HEAD_ARGS := --head crf --learning-rate 3e-4 --start-point $(SHIPPED_ENCODER) \
	--init-seed 42 --word-features $(POS_FEATURES)
# --average-last 4 also scores the mean of the last four epochs' weights. Trainable mode has no
# dev and serves the last epoch, the curve's last point
ablation-args-continued-head := $(CONTINUED_HEAD_ARGS) --average-last 4
# the continued head at 2e-4, trainable mode's one learning rate (defaults.LEARNING_RATE)
ablation-args-continued-head-lr2e4 := $(ablation-args-continued-head) --learning-rate 2e-4
# trainable mode exactly, for soups of what it serves: each seed keeps its last epoch (dev only
# scores), at 3e-4 and at 2e-4
ablation-args-continued-head-keep-last := $(CONTINUED_HEAD_ARGS) --keep-last
ablation-args-continued-head-lr2e4-keep-last := $(ablation-args-continued-head-keep-last) --learning-rate 2e-4
# the same, with the head's CRF transitions and word-feature tables continued too
ablation-args-continued-scores := $(ablation-args-continued-head) --continue-scores
ABLATION_RECORD ?= docs/ablation.json
# A seed runs where neither $(ABLATION_DIR) nor the record has it; the table pools the runs on
# disk with the record (rasa_electra/cli/ablation.py), so a new machine runs only what is missing.
ablation: | $(DATA_DIR)/summary.json $(PRETRAINING_ENCODER)/model.safetensors  ## dev ablation: every lever at 3 seeds (resumes), one table
	@mkdir -p $(ABLATION_DIR)
	@$(foreach lever,$(ABLATION_LEVERS),$(foreach seed,$(ABLATION_SEEDS),\
		out=$(ABLATION_DIR)/$(lever)-s$(seed); [ -f $$out/results.json ] \
		|| $(PY) -m rasa_electra.cli.ablation --recorded $(ABLATION_RECORD) --holds $(lever)=$(seed) \
		|| { echo "== $(lever), seed $(seed)"; $(PY) -m rasa_electra.cli.finetune \
		--start-point $(PRETRAINING_ENCODER) --data $(DATA_DIR) $(ABLATION_RECIPE) --seed $(seed) \
		$(ablation-args-$(lever)) --out $$out || exit 1; };))
	@decodings=; for lever in softmax crf-head; do exports=; \
		for e in $(ABLATION_DIR)/$$lever-s*/export; do [ -d $$e ] && exports="$$exports --export $$e"; done; \
		[ -z "$$exports" ] && continue; out=$(ABLATION_DIR)/decoding-$$lever.json; \
		$(PY) -m rasa_electra.cli.score_decoding $$exports --data $(DATA_DIR)/dev.yml --out $$out || exit 1; \
		decodings="$$decodings --decoding $$lever=$$out"; done; \
	$(PY) -m rasa_electra.cli.ablation --recorded $(ABLATION_RECORD) --runs $(ABLATION_DIR) $$decodings \
		$(if $(wildcard $(RECIPE_DECODING)),--decoding $(SILVER_RUN)-then-gold-$(RECIPE_SOUP)=$(RECIPE_DECODING)) \
		--order $(subst $(eval) ,$(comma),$(ABLATION_LEVERS)) --plot $(ABLATION_DIR)/dev-curves.png \
		--record $(ABLATION_RECORD)

# Self-training (issue 22): the dev-chosen CRF (config.yml: Sudachi B, trained on GSD train as
# `make train-crf` does) labels 100k Wikipedia sentences (held-out text excluded; resumable
# chunks); ELECTRA trains one epoch on SILVER_LIMIT of them, once (seed SILVER_STAGE_SEED): that
# silver-stage export is a start point, as the shipped encoder is. Each seed then continues on
# gold with the ablation recipe: rows silver<N>k-then-gold-s<seed>, all from the one stage.
SILVER_DIR ?= results/silver/kyoto-crf-sudachiB
SILVER_TEACHER ?= $(CRF_MODEL)
SILVER_LIMIT ?= 50000
SILVER_STAGE_SEED ?= 42
SILVER_RUN ?= silver$(SILVER_LIMIT:000=k)
# SILVER_WORDS=sudachi:B SILVER_RUN=sudachi-b-silver50k: both stages on the teacher's words
SILVER_WORDS ?=
SILVER_ARGS ?= --head crf --word-features $(POS_FEATURES) $(if $(SILVER_WORDS),--words $(SILVER_WORDS))
SILVER_STAGE := $(ABLATION_DIR)/$(SILVER_RUN)-stage-s$(SILVER_STAGE_SEED)
# a lever on the gold stage, e.g. GOLD_LEVER=lld08 (layer-wise learning-rate decay 0.8) or
# student6 (the silver stage's first 6 encoder layers only: a faster model): runs
# <silver run>-then-gold-<lever>-s<seed>, from the same silver stage
GOLD_LEVER ?=
gold-args-lld08 := --layerwise-lr-decay 0.8
gold-args-student6 := --keep-layers 6
gold-args-student4 := --keep-layers 4
# the silver stage's CRF transitions and word-feature tables continued too, not only its classifier
gold-args-continued-scores := --continue-scores
SILVER_GOLD_RUN = $(SILVER_RUN)-then-gold$(if $(GOLD_LEVER),-$(GOLD_LEVER))
self-training: $(SILVER_TEACHER) | $(DATA_DIR)/summary.json $(PRETRAINING_ENCODER)/model.safetensors  ## silver labels from the CRF, one silver stage, then gold fine-tuning per seed
	$(PY) -m rasa_electra.cli.label_silver --teacher $(SILVER_TEACHER) \
		--source ../shared/data/ja_text/wikipedia/kyoto_wikipedia.txt.xz:lines \
		--exclude $(DATA_DIR)/dev.yml --exclude $(DATA_DIR)/test.yml --sentences 100000 --out $(SILVER_DIR)
	[ -f $(SILVER_STAGE)/results.json ] || $(PY) -m rasa_electra.cli.finetune \
		--start-point $(PRETRAINING_ENCODER) --train $(SILVER_DIR)/silver.yml --limit $(SILVER_LIMIT) \
		--dev $(DATA_DIR)/dev.yml --test $(DATA_DIR)/test.yml --epochs 1 --batch-size 32 \
		--learning-rate 3e-4 --warmup-ratio 0.1 --seed $(SILVER_STAGE_SEED) $(SILVER_ARGS) --formats none \
		--o-bias 0 --out $(SILVER_STAGE)
	@$(foreach seed,$(ABLATION_SEEDS),\
		out=$(ABLATION_DIR)/$(SILVER_GOLD_RUN)-s$(seed); \
		[ -f $$out/results.json ] || $(PY) -m rasa_electra.cli.finetune --start-point $(SILVER_STAGE)/export \
		--data $(DATA_DIR) $(ABLATION_RECIPE) --seed $(seed) $(SILVER_ARGS) $(gold-args-$(GOLD_LEVER)) \
		--out $$out || exit 1;)

# The shipped encoder adapted to entities: self-training's silver stage (above, seed 42), its
# encoder written over pretrained/ in float16 with the replaced-token head and the pretraining
# card kept, and the commit that holds the pretrained weights recorded in the card
# (rasa_electra/model/adapted_encoder.py). Trainable mode and bots start from it.
ADAPT_EXPORT ?= $(SILVER_STAGE)/export
adapt-encoder: | $(DATA_DIR)/summary.json $(PRETRAINING_ENCODER)/model.safetensors  ## self-training's silver stage becomes the shipped encoder (pretrained/)
	[ -f $(ADAPT_EXPORT)/saved_model.pb ] || $(MAKE) self-training ABLATION_SEEDS=
	$(PY) -m rasa_electra.cli.adapt_encoder --export $(ADAPT_EXPORT) --base $(PRETRAINING_ENCODER) \
		--out $(SHIPPED_ENCODER) $(if $(PRETRAINING_COMMIT),--commit $(PRETRAINING_COMMIT))

# the pretrained weights of an adapted encoder, from the commit its card names
$(MODEL_DIR)/electra-small-ja-pretrained-%/model.safetensors:
	mkdir -p $(@D)
	git archive $* $(SHIPPED_ENCODER) | tar -x -C $(@D) --strip-components=2

# Weight averaging (model.soup): a lever's seed exports averaged into one model, scored on dev.
# SOUP_SEEDS is one group of seeds per soup (comma-separated inside a group); each soup is the
# run <lever>-$(SOUP_NAME)-s<its first seed>, so several groups are that soup lever's seeds in
# the ablation table (SOUP_NAME=soup2 SOUP_SEEDS="42,43 44,45 46,47": three soups of two; the
# recipe's are RECIPE_SOUP).
SOUP_LEVERS ?= sudachi-b-crf-head-pos-features $(SILVER_RUN)-then-gold
SOUP_SEEDS ?= 42,43,44
SOUP_NAME ?= soup
soup: | $(DATA_DIR)/summary.json  ## each lever's seed exports averaged into one model per seed group, scored on dev
	@$(foreach lever,$(SOUP_LEVERS),$(foreach group,$(SOUP_SEEDS),\
		out=$(ABLATION_DIR)/$(lever)-$(SOUP_NAME)-s$(firstword $(subst $(comma), ,$(group))); \
		[ -f $$out/results.json ] || $(PY) -m rasa_electra.cli.soup \
		$(foreach s,$(subst $(comma), ,$(group)),--export $(ABLATION_DIR)/$(lever)-s$(s)/export) \
		--dev $(DATA_DIR)/dev.yml --out $$out || exit 1;))

# Issue 24's student: the shipped encoder cut to its first STUDENT_LAYERS encoder layers, taught
# by the recipe's best dev soup. That soup (served as the component serves it, a Rasa archive)
# labels 100k Wikipedia sentences; the student trains one epoch on them (the silver stage), then
# on gold at three seeds, and the three become one soup with GSD train's memory, scored on dev
# each way (results/ablation/decoding-student<N>.json). A distillation by hard labels: about an
# hour on 2 cores for 4 layers, resumable.
STUDENT_LAYERS ?= 4
STUDENT_SOUP ?= $(ABLATION_DIR)/$(SILVER_RUN)-then-gold-$(RECIPE_SOUP)-s45/export
STUDENT_TEACHER := $(MODEL_DIR)/electra-student-teacher.tar.gz
STUDENT_SILVER ?= results/silver/kyoto-electra-recipe
STUDENT_RUN := esilver100k-student$(STUDENT_LAYERS)
$(STUDENT_TEACHER): $(STUDENT_SOUP)/saved_model.pb
	sed 's|^\( *model_path:\).*|\1 $(STUDENT_SOUP)|' config-electra.yml > $(MODEL_DIR)/student-teacher.yml
	$(VENV)/bin/rasa train nlu --config $(MODEL_DIR)/student-teacher.yml --nlu $(DATA_DIR)/train.yml \
		--out $(MODEL_DIR) --fixed-model-name $(notdir $(STUDENT_TEACHER:.tar.gz=))
student: $(STUDENT_TEACHER) | $(DATA_DIR)/summary.json  ## a STUDENT_LAYERS-layer student taught by the recipe's best soup, at 3 seeds, one soup
	$(MAKE) self-training SILVER_DIR=$(STUDENT_SILVER) SILVER_TEACHER=$(STUDENT_TEACHER) \
		STUDENT_SOUP=$(STUDENT_SOUP) SILVER_LIMIT=100000 SILVER_RUN=$(STUDENT_RUN) \
		SILVER_ARGS="--head crf --word-features $(POS_FEATURES) --keep-layers $(STUDENT_LAYERS)"
	$(MAKE) soup SOUP_LEVERS=$(STUDENT_RUN)-then-gold SOUP_SEEDS=42,43,44
	$(PY) -m rasa_electra.cli.entity_memory --export $(ABLATION_DIR)/$(STUDENT_RUN)-then-gold-soup-s42/export \
		--train $(DATA_DIR)/train.yml
	$(PY) -m rasa_electra.cli.score_decoding --export $(ABLATION_DIR)/$(STUDENT_RUN)-then-gold-soup-s42/export \
		--data $(DATA_DIR)/dev.yml --out $(ABLATION_DIR)/decoding-student$(STUDENT_LAYERS).json

scoreboard: setup  ## docs/results.md's comparison tables from docs/scoreboard.json
	$(PY) -m rasa_electra.cli.scoreboard --render docs/results.md

# The example booking bot (examples/booking_bot): its own domain, intents, form and stories,
# entities from the demo export fine-tuned on the bot's data, under its names. Talk to it: `make bot-shell`, or
# `rasa run --enable-api -m $(BOT_MODEL) --credentials $(BOT_DIR)/credentials.yml` and the REST channel.
BOT_DIR := examples/booking_bot
BOT_MODEL := $(MODEL_DIR)/booking-bot.tar.gz
bot: $(ELECTRA_DIR)/export/saved_model.pb  ## train the example booking bot on the demo export
	sed 's|^\( *pretrained:\).*|\1 $(ELECTRA_DIR)/export|' $(BOT_DIR)/config.yml > $(ELECTRA_DIR)/bot-config.yml
	$(VENV)/bin/rasa train --config $(ELECTRA_DIR)/bot-config.yml --domain $(BOT_DIR)/domain.yml \
		--data $(BOT_DIR)/data --out $(MODEL_DIR) --fixed-model-name $(notdir $(BOT_MODEL:.tar.gz=))

bot-shell: bot  ## talk to the booking bot in `rasa shell`
	$(VENV)/bin/rasa shell -m $(BOT_MODEL)

# The demo export as TFLite (float32, dynamic int8, float16) and ONNX (float32, dynamic int8),
# each scored against the SavedModel on dev/test; offered to the component within 0.5 dev F1.
formats: $(ELECTRA_DIR)/export/saved_model.pb  ## TFLite/ONNX formats of the demo export
	$(PY) -m rasa_electra.cli.export_formats --export $(ELECTRA_DIR)/export --data $(DATA_DIR)

# CRF vs ELECTRA through Rasa: latency, batch throughput, `rasa run` load test. `electra` is the
# component's default backend (auto: the export's fastest offered format); electra@FORMAT one format
BENCH_SYSTEMS ?= crf,electra,electra@savedmodel,electra@tflite-dynamic,electra@onnx
bench: formats  ## latency, throughput and load test per backend
	$(PY) -m rasa_electra.cli.benchmark_serving --data $(DATA_DIR)/test.yml --messages 200 \
		--train $(DATA_DIR)/train.yml --electra-export $(ELECTRA_DIR)/export \
		--systems $(BENCH_SYSTEMS) --load-requests 300 --concurrency 8 \
		--out reports/serving-$(GSD_VERSION)

# ELECTRA pretraining on CPU or GPU: corpus → WordPiece vocabulary → token-id shards → RTD.
# Re-running `make pretrain` resumes from the last checkpoint. PRETRAIN_ARGS passes more options,
# e.g. PRETRAIN_ARGS="--train-steps 20000 --batch-size 32 --stop-at 2000".
$(CORPUS_DIR)/ja.txt: | $(PRETRAIN_STAMP)
	$(PRETRAIN_PY) -m rasa_electra.cli.prepare_corpus $(addprefix --source ,$(CORPUS_SOURCES)) --out $@

$(PRETRAIN_VOCAB)/vocab.txt: | $(CORPUS_DIR)/ja.txt
	$(PRETRAIN_PY) -m rasa_electra.cli.build_vocab --text $(CORPUS_DIR)/ja.txt \
		--size $(PRETRAIN_VOCAB_SIZE) --out $(PRETRAIN_VOCAB)

$(SHARDS_DIR)/shards.json: | $(PRETRAIN_VOCAB)/vocab.txt
	$(PRETRAIN_PY) -m rasa_electra.cli.make_shards --corpus $(CORPUS_DIR)/ja.txt --vocab $(PRETRAIN_VOCAB) \
		--max-seq-length $(PRETRAIN_SEQ) $(if $(SHARD_DOCUMENTS),--max-documents $(SHARD_DOCUMENTS)) \
		--out $(SHARDS_DIR)

pretrain: $(SHARDS_DIR)/shards.json  ## corpus → vocabulary → shards → RTD (resumes)
	$(PRETRAIN_PY) -m rasa_electra.cli.pretrain --shards $(SHARDS_DIR) --preset $(PRETRAIN_PRESET) \
		--out $(PRETRAIN_DIR) $(PRETRAIN_ARGS)

# The next GPU session's cargo: the corpus tokenized with the shipped encoder's own vocabulary,
# packed, and a resume kit (the shipped encoder travels with the repository; the kit holds the
# pack parts that fit beside it, those its card's runs read least first). On the device, carrying
# corpus/resume-kit:
#   bash scripts/gpu_pretrain.sh corpus/resume-kit/pack corpus/resume-kit/weights
# Once the shipped encoder is self-trained (`make adapt-encoder`), pretraining goes on from the
# pretrained weights instead: carry $(PRETRAINING_ENCODER) too (27 MiB; the kit leaves room), and
# after the lease ship the new encoder, then `make adapt-encoder` again.
GPU_SHARDS := $(CORPUS_DIR)/shards-shipped-$(PRETRAIN_SEQ)
GPU_PACK := $(CORPUS_DIR)/pack-shipped-$(PRETRAIN_SEQ)
GPU_KIT := $(CORPUS_DIR)/resume-kit

gpu-kit: $(GPU_SHARDS)/shards.json | $(PRETRAINING_ENCODER)/model.safetensors  ## what the next GPU session carries (resume the shipped encoder)
	$(PRETRAIN_PY) -m rasa_electra.cli.pack_shards --shards $(GPU_SHARDS) --out $(GPU_PACK) \
		--max-mib 61
	$(PRETRAIN_PY) -m rasa_electra.cli.resume_kit --pack $(GPU_PACK) \
		--shipped $(PRETRAINING_ENCODER) --out $(GPU_KIT) --max-mib 34

$(GPU_SHARDS)/shards.json: | $(CORPUS_DIR)/ja.txt
	$(PRETRAIN_PY) -m rasa_electra.cli.make_shards --corpus $(CORPUS_DIR)/ja.txt \
		--vocab $(SHIPPED_ENCODER) --max-seq-length $(PRETRAIN_SEQ) --out $(GPU_SHARDS)

# livedoor 9-class probe of the pretrained discriminator and of the same model untrained
probe: | $(PRETRAIN_STAMP)
	$(PRETRAIN_PY) -m rasa_electra.cli.probe_livedoor --start-point $(PRETRAIN_DIR)/discriminator \
		--livedoor $(JA_TEXT)/livedoor --trials $(PROBE_TRIALS) --out $(PRETRAIN_DIR)/probe.json
	$(PRETRAIN_PY) -m rasa_electra.cli.probe_livedoor --start-point $(PRETRAIN_DIR)/discriminator \
		--livedoor $(JA_TEXT)/livedoor --trials $(PROBE_TRIALS) --random-init \
		--out $(PRETRAIN_DIR)/probe-random-init.json

# Regenerate requirements.lock from pyproject.toml (needs network to PyPI).
lock: setup
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra onnx --python-version 3.10 \
		--extra peers --extra sudachi --python-platform x86_64-manylinux_2_28 -o requirements.lock

clean:  ## remove environments, corpus, models and generated data
	rm -rf $(VENV) $(PRETRAIN_VENV) $(CORPUS_DIR) $(MODEL_DIR) data/gsd_* .pytest_cache .ruff_cache .hypothesis
