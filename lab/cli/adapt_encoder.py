"""Ship a self-trained export's encoder as the start point in pretrained/electra-small-ja/.

python -m lab.cli.adapt_encoder --export results/ablation/silver50k-stage-s42/export \
    [--base pretrained/electra-small-ja] [--out pretrained/electra-small-ja]

``--base`` is the pretrained encoder the export was fine-tuned from. Its weights are in git, and
the card records the commit that holds them (``adaptation.pretraining_commit``), from which
the Makefile restores them (``PRETRAINING_ENCODER``) for experiments and for the GPU kit.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from lab.adapted_encoder import adapt_encoder
from lab.pretraining.ship import SHIPPED
from rasa_electra.model.model_spec import SAFETENSORS_FILE
from rasa_electra.model.weights import StartPointError


def committed_at(path: Path) -> str | None:
    """The last commit of ``path`` if the file is that commit's blob, else None (a file not in
    git, or changed since)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("log", "-1", "--format=%H", "--", str(path))
        if commit and git("rev-parse", f"{commit}:{path.as_posix()}") == git(
            "hash-object", str(path)
        ):
            return commit
    except (subprocess.CalledProcessError, FileNotFoundError):
        pass
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", type=Path, required=True, help="a finetune export")
    parser.add_argument("--base", type=Path, default=SHIPPED, help="the pretrained encoder")
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument(
        "--commit", help="the commit whose pretrained/ holds --base's weights (default: found)"
    )
    args = parser.parse_args(argv)
    commit = args.commit or committed_at(args.base / SAFETENSORS_FILE)
    if commit is None:
        print(f"note: {args.base / SAFETENSORS_FILE} is not committed as it is; the card cannot "
              "name a commit that holds the pretrained weights", file=sys.stderr)  # fmt: skip
    try:
        target = adapt_encoder(args.export, args.base, args.out, commit)
    except StartPointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    size = (target / SAFETENSORS_FILE).stat().st_size
    print(f"wrote {args.export}'s encoder to {target} ({size / 1024 / 1024:.1f} MiB float16), "
          f"pretrained weights at commit {commit}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
