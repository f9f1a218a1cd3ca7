"""The fine-tuning defaults, in one place: the training config, the Rasa component's defaults,
the harness's options and the commands' arguments all read them from here. No TensorFlow here,
so commands and Rasa read them before any model code loads."""

from __future__ import annotations

from rasa_electra.data.tags import SCHEMES


def as_text() -> str:
    """Every default below as one text: what a kept model or result is reused under, so that
    a changed default (an epoch count, the O bias) is never answered from an older one."""
    return repr(sorted((name, value) for name, value in globals().items() if name.isupper()))


LABEL_SCHEMES = SCHEMES  # the tag codec's schemes; LABEL_SCHEME is one of them

# the recipe chosen on GSD dev for the shipped ELECTRA-small encoder (docs/results.md, "ELECTRA
# on top of the shipped encoder"): 3 epochs at 1e-4 left a Rasa user's model far below it
EPOCHS = 10
BATCH_SIZE = 32
# 2e-4 over the ELECTRA paper's 3e-4 for small, for a new CRF head from the shipped encoder
# (+1.79 dev F1, every one of three seeds up: docs/results.md, "The schedule on the CRF head")
# and for trainable mode continuing the shipped head (+1.03 dev F1 at the last epoch, which
# trainable mode keeps, every one of three seeds up: "The continued head at 2e-4")
LEARNING_RATE = 2e-4
WARMUP_RATIO = 0.1
# a floor on optimizer steps: a bot's hundred messages are 4 batches an epoch, so EPOCHS alone
# would be 40 steps; small data gets more epochs instead (GSD's 220 a epoch never reach it)
MIN_TRAIN_STEPS = 300
MAX_SEQ_LENGTH = 128
LABEL_SCHEME = "BIO"
HEAD = "crf"  # or "softmax"; the CRF converges faster and ends higher on dev (docs/results.md)
HEADS = ("softmax", "crf")
# word features for the tagger (tokenization.word_features): the POS levels of the word and its
# neighbours and the word's shape, which the shipped encoder was self-trained beside; from it they
# are worth +1.15 dev (docs/results.md, "Trainable mode from a self-trained encoder")
WORD_FEATURES: tuple[str, ...] = ("pos", "pos-1", "pos+1", "shape")
# fine-tunings (seeds) whose weights trainable mode averages into the served model (model.soup):
# +0.86 dev over their mean, for three times the training (one model's latency)
AVERAGE_SEEDS = 3
RANDOM_SEED = 42  # trainable mode's first seed, and the fine-tuning command's
INFERENCE_BATCH_SIZE = 32  # messages per model call when the component serves
# the component's runtime: "auto" serves the export's fastest offered format (serving.backends)
BACKEND = "auto"
# a decoded span whose exact text the training data labelled with one label at least this share
# of the time takes that label (data.entity_memory); None: off. 0.7 chosen on GSD dev
ENTITY_MEMORY: float | None = 0.7
DECODING = "viterbi"  # constrained to the tag scheme; "argmax" reads per-word best tags
# added to O's log-probability before decoding (data.viterbi.Decoder): the model needs more
# evidence to open an entity; 0: the model's probabilities as they are. An export's card records
# the O bias it was trained with, and it is served with that one unless told otherwise.
# The fine-tuning command's: 0.5, chosen on GSD dev over the recipe's three soups (docs/results.md,
# "The O bias"); also the TF1 export's, which has no card
O_BIAS = 0.5
# trainable mode's with a new head: 0, chosen on GSD dev over its soup of three seeds from the
# self-trained encoder (docs/results.md, "Trainable mode's defaults: the self-trained encoder
# shipped"); continuing the start point's head, O_BIAS, the recipe's
TRAINABLE_O_BIAS = 0.0
