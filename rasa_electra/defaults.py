"""The fine-tuning and serving defaults, in one place: the settings classes (the training config,
the component's keys, the harness's and the commands' flags) read them from here. Why each is
what it is: docs/defaults.md, under the anchor each comment names. No TensorFlow here, so
commands and Rasa read them before any model code loads."""

from __future__ import annotations

from rasa_electra.data.tags import SCHEMES


def as_text() -> str:
    """Every default below as one text: what a kept model or result is reused under, so that
    a changed default (an epoch count, the O bias) is never answered from an older one."""
    return repr(sorted((name, value) for name, value in globals().items() if name.isupper()))


LABEL_SCHEMES = SCHEMES  # the tag codec's schemes; LABEL_SCHEME is one of them

EPOCHS = 10  # docs/defaults.md#epochs
BATCH_SIZE = 32  # docs/defaults.md#batch-size
LEARNING_RATE = 2e-4  # docs/defaults.md#learning-rate
WARMUP_RATIO = 0.1  # docs/defaults.md#warmup-ratio
# trainable mode's floor on optimizer steps: small data gets more epochs instead
MIN_TRAIN_STEPS = 150  # docs/defaults.md#min-train-steps
# and its ceiling: large data gets fewer epochs instead
MAX_TRAIN_STEPS = 0  # docs/defaults.md#max-train-steps
MAX_SEQ_LENGTH = 128  # docs/defaults.md#max-seq-length
LABEL_SCHEME = "BIO"
HEAD = "crf"  # docs/defaults.md#head
HEADS = ("softmax", "crf")
# the analyser's facts about each word added to the tagger (tokenization.word_features):
# docs/defaults.md#word-features
WORD_FEATURES: tuple[str, ...] = ("pos", "pos-1", "pos+1", "shape")
# trainable mode's small data, a bot's rather than a corpus: at most this many messages train one
# model (no soup) with the lower part of the encoder frozen and a faster head
# (components.trainable.small_data)
SMALL_DATA_MESSAGES = 1000  # docs/defaults.md#small-data
# fine-tunings (seeds) whose weights trainable mode averages into the served model (model.soup)
# above small data; on it, one (components.trainable.seeds_for)
AVERAGE_SEEDS = 3  # docs/defaults.md#average-seeds
# the share of the encoder's layers, from the bottom, that trainable mode keeps as the start
# point has them (with the embeddings) on small data (components.trainable.for_data_size)
SMALL_DATA_FROZEN_SHARE = 0.5  # docs/defaults.md#freeze-layers
# peak rate of the CRF's scores and the word-feature tables, which start at 0; trainable mode's
# on small data is higher, so the analyser's facts (a place name's part of speech) weigh in
# within a bot's few hundred steps (components.trainable.for_data_size)
HEAD_LEARNING_RATE = 5e-3  # docs/defaults.md#head-learning-rate
SMALL_DATA_HEAD_LEARNING_RATE = 2e-2
RANDOM_SEED = 42  # docs/defaults.md#random-seed
INFERENCE_BATCH_SIZE = 32  # docs/defaults.md#inference-batch-size
# the component's runtime: the export's fastest offered format (serving.backends)
BACKEND = "auto"  # docs/defaults.md#backend
# a decoded span whose exact text the training data labelled with one label at least this share
# of the time takes that label (data.entity_memory); None: off
ENTITY_MEMORY: float | None = 0.7  # docs/defaults.md#entity-memory
DECODING = "viterbi"  # docs/defaults.md#decoding; "argmax" reads per-word best tags
# added to O's log-probability before decoding (data.viterbi.Decoder): the fine-tuning command's,
# trainable mode's when it continues the start point's head, and the TF1 export's
O_BIAS = 0.5  # docs/defaults.md#o-bias
# a joined extractor's entity against the model's probabilities (join_extractors)
JOIN_WEIGHT = 3.0  # docs/defaults.md#join-weight
TRAINABLE_O_BIAS = 0.0  # trainable mode's with a new head: docs/defaults.md#trainable-o-bias
