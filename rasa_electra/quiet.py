"""A command's own output first: the third-party deprecation warnings that Rasa 3.6's stack
prints at import, the notices its libraries log on every run, and TensorFlow's C++ banner,
filtered. This package's warnings, and every other kind of warning or log, stay."""

from __future__ import annotations

import logging
import os
import re
import warnings

# where those warnings come from: Rasa's own modules, pkg_resources, SQLAlchemy 2.0's,
# matplotlib's pyparsing, TensorFlow's import of jax
THIRD_PARTY = r"(rasa|pkg_resources|sqlalchemy|matplotlib|pyparsing|tensorflow|keras|jax|google)\b"
# the same, as the file a warning is shown for (installed packages only)
THIRD_PARTY_FILE = re.compile(r"[/\\](site|dist)-packages[/\\]" + THIRD_PARTY)
# deprecations named by their text: pkg_resources' names the module that imported it
# (apscheduler, under Rasa); an import hook's has no module of its own
DEPRECATION_TEXTS = ("pkg_resources is deprecated", "the load_module() method is deprecated")

# logger → a notice it logs on every run that asks nothing of a bot builder (its start)
NOTICES = {
    "transformers.modeling_tf_utils": "TensorFlow and JAX classes are deprecated",
    "absl": "Found untraced functions",  # a SavedModel's Keras internals, never called
    "": "Please consider to run pre-processing before quantization",  # onnxruntime, on root
    # matplotlib's own style files read with pyparsing's deprecations, logged again
    "matplotlib.style.core": r"In \S+\.mplstyle: .*deprecated",
}


class _DropNotice(logging.Filter):
    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = re.compile(pattern)

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.pattern.match(record.getMessage())


def third_party_deprecation(message: Warning | str, category: type, filename: str) -> bool:
    """Whether a warning about to be shown is one of those deprecations."""
    if not issubclass(category, (DeprecationWarning, PendingDeprecationWarning)):
        return False
    return bool(THIRD_PARTY_FILE.search(filename)) or any(
        text in str(message) for text in DEPRECATION_TEXTS
    )


def _show_unless_third_party(show):
    def showwarning(message, category, filename, lineno, file=None, line=None):
        if not third_party_deprecation(message, category, filename):
            show(message, category, filename, lineno, file, line)

    showwarning.quiet = True
    return showwarning


def quiet_third_party() -> None:
    """Filter them. Filters alone do not hold: Sanic's import puts a "once" filter for every
    deprecation in front of them, and Rasa's CLI one for every user warning (which pyparsing's
    also are), so what would be shown is checked once more, where it is shown."""
    # TensorFlow's C++ log at errors only (no TF-TRT banner): at least 2, whatever an earlier
    # import left there (jax's sets 1, and a child process inherits it)
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "")
    if not (level.isdigit() and int(level) >= 2):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=THIRD_PARTY)
    for text in DEPRECATION_TEXTS:
        warnings.filterwarnings("ignore", re.escape(text), DeprecationWarning)
    if not getattr(warnings.showwarning, "quiet", False):
        warnings.showwarning = _show_unless_third_party(warnings.showwarning)
    quiet_notices()


def quiet_notices() -> None:
    """Drop ``NOTICES`` alone: what the component does inside Rasa's own commands, where the
    process's warnings are Rasa's to configure."""
    for name, pattern in NOTICES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropNotice) for f in logger.filters):
            logger.addFilter(_DropNotice(pattern))
