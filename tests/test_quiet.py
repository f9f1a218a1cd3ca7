"""The commands' quiet: third-party deprecations filtered whatever the stack does to the
warning filters after us, and every other warning kept."""

import subprocess
import sys

SCRIPT = """
import rasa_electra.cli  # what every command imports first
import sanic.app  # puts a "once" filter for every deprecation in front of ours
import matplotlib.pyplot  # pyparsing's deprecations, and its style files' logged again
import rasa.core.agent  # SQLAlchemy's, pkg_resources'
from rasa.utils.common import configure_logging_and_warnings
configure_logging_and_warnings(20)  # Rasa's "once" filter for every user warning
import warnings
warnings.warn("a deprecation of our own", DeprecationWarning, stacklevel=1)
warnings.warn("a user warning of our own", UserWarning)
"""


def test_third_party_deprecations_are_filtered_and_ours_kept(repo):
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=repo, capture_output=True,
                            text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if "eprecat" in line]
    assert lines == ["<string>:9: DeprecationWarning: a deprecation of our own"], lines
    assert "UserWarning: a user warning of our own" in result.stderr


def test_tensorflows_banner_is_off_whatever_level_an_import_left(repo):
    """jax's import sets TF_CPP_MIN_LOG_LEVEL=1, and a child process inherits it: the commands
    still start without TensorFlow's TF-TRT banner."""
    import os

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "1"}
    script = "import rasa_electra.cli; import tensorflow"
    result = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True,
                            text=True, timeout=300, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TF-TRT" not in result.stderr, result.stderr[-3000:]
