"""Rasa's own command line, with the third-party noise filtered as in every other command.

    rasa-electra rasa train nlu --config config.yml --nlu data/nlu.yml
    rasa-electra rasa shell -m models/

The arguments are Rasa's (`rasa --help`). Rasa's stack prints about a dozen deprecation
warnings before its own output (Sanic's import shows every deprecation once, and Rasa then
shows every user warning once, which pyparsing's also are); this command filters them
after both, so the first line is Rasa's. Rasa's own warnings, and the components', stay.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from rasa_electra.quiet import quiet_third_party


def _then_quiet(configure: Callable[..., Any]) -> Callable[..., Any]:
    def configure_then_quiet(*args: Any, **kwargs: Any) -> Any:
        result = configure(*args, **kwargs)
        quiet_third_party()  # in front of the filters Rasa just set
        return result

    return configure_then_quiet


def main(argv: list[str] | None = None) -> int:
    import rasa.__main__ as rasa_main

    quiet_third_party()  # in front of Sanic's, set at the import above
    rasa_main.configure_logging_and_warnings = _then_quiet(rasa_main.configure_logging_and_warnings)
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
