"""A command's own output first: the third-party deprecation warnings that Rasa 3.6's stack
prints at import, the notices its libraries log on every run, and TensorFlow's C++ banner,
filtered. This package's warnings, and every other kind of warning or log, stay."""

from __future__ import annotations

import logging
import os
import warnings

# where those warnings come from: Rasa's own modules, pkg_resources, SQLAlchemy 2.0's,
# matplotlib's pyparsing, TensorFlow's import of jax
THIRD_PARTY = r"(rasa|pkg_resources|sqlalchemy|matplotlib|pyparsing|tensorflow|keras|jax|google)\b"

# logger → the start of a notice it logs on every run that asks nothing of a bot builder
NOTICES = {
    "transformers.modeling_tf_utils": "TensorFlow and JAX classes are deprecated",
    "absl": "Found untraced functions",  # a SavedModel's Keras internals, never called
    "": "Please consider to run pre-processing before quantization",  # onnxruntime, on root
}


class _DropNotice(logging.Filter):
    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.start)


def quiet_third_party() -> None:
    """Filter them; call it again after Rasa configures warnings (its "once" filter for user
    warnings would otherwise show pyparsing's, which are both)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # C++ errors only: no TF-TRT banner
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=THIRD_PARTY)
    # pkg_resources' own warning names the module that imported it (apscheduler, under Rasa)
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", DeprecationWarning)
    for name, start in NOTICES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropNotice) and f.start == start for f in logger.filters):
            logger.addFilter(_DropNotice(start))
