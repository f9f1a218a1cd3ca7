"""Build the folder a fresh GPU machine resumes pretraining from (bf16 weights + pack parts).

python -m lab.cli.resume_kit --carried models/gpu-run-2 --pack corpus/pack-128 \
    --shipped pretrained/electra-small-ja --out corpus/resume-kit --max-mib 34
then on the device: bash scripts/gpu_pretrain.sh corpus/resume-kit/pack corpus/resume-kit/weights
(carry corpus/resume-kit). Without --carried (the GPU run's files are gone), the kit is the
shipped encoder alone: `--shipped pretrained/electra-small-ja --max-mib 34`. With --after KIT,
the kit of a lease's second command: pack parts alone, those KIT's pack lacks (the weights are
on the warm machine already):
    --pack corpus/pack-128 --after corpus/resume-kit --shipped … --out corpus/resume-kit-2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lab.pretraining.resume_kit import make_parts_kit, make_resume_kit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--carried", type=Path, help="what a GPU run sent back (none: the shipped encoder alone)"
    )
    parser.add_argument("--pack", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-mib", type=float, default=62.0, help="the kit's size at most")
    parser.add_argument(
        "--shipped", type=Path, help="the repository's copy of the discriminator (then left out)"
    )
    parser.add_argument(
        "--bundle-discriminator",
        action="store_true",
        help="copy --shipped's weights into the kit (it is not the repository's pretrained/)",
    )
    parser.add_argument(
        "--after", type=Path, help="the first command's kit: this one holds other parts only"
    )
    args = parser.parse_args(argv)
    if args.after is not None:
        kit = make_parts_kit(args.pack, args.out, args.after, args.max_mib, args.shipped)
    else:
        kit = make_resume_kit(
            args.carried, args.pack, args.out, args.max_mib, args.shipped,
            args.bundle_discriminator,
        )  # fmt: skip
    print(json.dumps(kit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
