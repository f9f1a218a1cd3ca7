"""``rasa-electra COMMAND …``: runs ``rasa_electra.cli.COMMAND`` (hyphens for underscores)."""

from __future__ import annotations

import importlib
import sys

from rasa_electra.cli import COMMANDS


def dispatch(package: str, commands: dict[str, str], prog: str, argv: list[str]) -> int:
    """Run ``package.COMMAND``'s ``main`` on the rest of ``argv``; no command lists them."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        width = max(map(len, commands))
        lines = [f"  {name:<{width}}  {what}" for name, what in commands.items()]
        print(f"usage: {prog} COMMAND [ARGS]  (COMMAND --help for its options)\n")
        print("\n".join(lines))
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in commands:
        print(f"{prog}: unknown command {command!r}; `{prog} --help` lists them", file=sys.stderr)
        return 2
    module = importlib.import_module(f"{package}.{command.replace('-', '_')}")
    sys.argv = [f"{prog} {command}", *rest]
    return module.main(rest)


def main(argv: list[str] | None = None) -> int:
    return dispatch(
        "rasa_electra.cli", COMMANDS, "rasa-electra", sys.argv[1:] if argv is None else argv
    )


if __name__ == "__main__":
    sys.exit(main())
