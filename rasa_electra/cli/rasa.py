"""Rasa's own command line, with the third-party noise filtered as in every other command.

    rasa-electra rasa train nlu --config config.yml --nlu data/nlu.yml
    rasa-electra rasa shell -m models/

The arguments are Rasa's (`rasa --help`). Rasa's stack prints about a dozen deprecation
warnings before its own output (SQLAlchemy's, pkg_resources', jax's, pyparsing's); this
command filters them (``rasa_electra.quiet``), so the first line is Rasa's. Rasa's own
warnings, and the components', stay.
"""

from __future__ import annotations

import sys

from rasa_electra.quiet import quiet_third_party


def main(argv: list[str] | None = None) -> int:
    quiet_third_party()
    import rasa.__main__

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa.__main__.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
