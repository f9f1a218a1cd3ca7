"""One device command of budget pretraining: smoke test, speed sweep, train to a deadline,
weights back (see lab.pretraining.budget).

python -m lab.cli.gpu_pretrain --data pack/ --work /tmp/pretrain --deliver "$OUT" \
    --budget-seconds 540 [--init-weights carried/]

Usually started by scripts/gpu_pretrain.sh on the lent GPU machine; runs on a CPU too (tests
use the tiny preset).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lab.pretraining.budget import run_budget
from lab.pretraining.electra import PRESETS
from lab.pretraining.trainer import COMPILE_MODES, PretrainConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a pack or shards directory")
    parser.add_argument("--work", type=Path, required=True, help="checkpoints (machine-local)")
    parser.add_argument("--deliver", type=Path, required=True, help="what goes back ($OUT)")
    parser.add_argument("--budget-seconds", type=float, required=True)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--batch-sizes", default="128,256,512")
    parser.add_argument("--no-compile", action="store_true", help="leave torch.compile out")
    parser.add_argument(
        "--compile-modes", default=",".join(COMPILE_MODES),
        help=f"torch.compile's modes to time, in this order (of {', '.join(COMPILE_MODES)})",
    )  # fmt: skip
    parser.add_argument("--sweep-seconds", type=float, default=90.0)
    parser.add_argument("--reserve-seconds", type=float, default=25.0)
    parser.add_argument("--smoke-steps", type=int, default=20)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--learning-rate", type=float, help="peak (default: scaled to batch)")
    parser.add_argument("--warmup-fraction", type=float, default=0.1)
    parser.add_argument("--init-weights", type=Path, help="weights carried back earlier")
    args = parser.parse_args(argv)
    base = PretrainConfig(
        preset=args.preset, dropout=args.dropout, log_every=args.log_every,
        learning_rate=args.learning_rate,
    )  # fmt: skip
    report = run_budget(
        args.data,
        args.work,
        args.deliver,
        args.budget_seconds,
        base=base,
        batch_sizes=tuple(int(b) for b in args.batch_sizes.split(",")),
        compile_modes=() if args.no_compile else tuple(args.compile_modes.split(",")),
        sweep_seconds=args.sweep_seconds,
        reserve_seconds=args.reserve_seconds,
        init_weights=args.init_weights,
        smoke_steps=args.smoke_steps,
        warmup_fraction=args.warmup_fraction,
    )
    summary = {k: report.get(k) for k in ("steps", "tokens_seen", "train_seconds", "final")}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
