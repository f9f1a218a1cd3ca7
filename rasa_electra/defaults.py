"""The fine-tuning defaults, in one place: the training config, the Rasa component's defaults,
the harness's options and the commands' arguments all read them from here. No TensorFlow here,
so commands and Rasa read them before any model code loads."""

from __future__ import annotations

from rasa_electra.data.tags import SCHEMES

LABEL_SCHEMES = SCHEMES  # the tag codec's schemes; LABEL_SCHEME is one of them

EPOCHS = 3
BATCH_SIZE = 16
LEARNING_RATE = 1e-4  # the ELECTRA paper's fine-tuning rate for base; small uses 3e-4
MAX_SEQ_LENGTH = 128
LABEL_SCHEME = "BIO"
