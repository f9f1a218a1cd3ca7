"""``python -m lab COMMAND …``: runs ``lab.cli.COMMAND`` (hyphens for underscores)."""

from __future__ import annotations

import sys

from lab.cli import COMMANDS
from rasa_electra.cli.__main__ import dispatch

if __name__ == "__main__":
    sys.exit(dispatch("lab.cli", COMMANDS, "python -m lab", sys.argv[1:]))
