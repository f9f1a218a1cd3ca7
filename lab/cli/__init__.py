"""The lab's commands: ``python -m lab COMMAND [ARGS]`` from the repository root."""

COMMANDS = {
    "small-data": "the small-data benchmark's files: GSD samples under a user's label names",
}
