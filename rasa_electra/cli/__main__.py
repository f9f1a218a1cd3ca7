"""``rasa-electra COMMAND …``: runs ``rasa_electra.cli.COMMAND`` (hyphens for underscores)."""

from __future__ import annotations

import importlib
import sys

from rasa_electra.cli import COMMANDS


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        width = max(map(len, COMMANDS))
        lines = [f"  {name:<{width}}  {what}" for name, what in COMMANDS.items()]
        print("usage: rasa-electra COMMAND [ARGS]  (COMMAND --help for its options)\n")
        print("\n".join(lines))
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"rasa-electra: unknown command {command!r}; `rasa-electra --help` lists them",
              file=sys.stderr)  # fmt: skip
        return 2
    module = importlib.import_module(f"rasa_electra.cli.{command.replace('-', '_')}")
    sys.argv = [f"rasa-electra {command}", *rest]
    return module.main(rest)


if __name__ == "__main__":
    sys.exit(main())
