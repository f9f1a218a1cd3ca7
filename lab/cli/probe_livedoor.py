"""The pretraining quality probe: livedoor news 9-class classification, N trials, macro-F1.

python -m lab.cli.probe_livedoor --start-point models/electra-small-ja/discriminator \
    --livedoor ../shared/data/ja_text/livedoor --trials 5 --out results/probe-small.json
Add --random-init for the same architecture untrained (the baseline to beat).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lab.pretraining.probe import ProbeConfig, probe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--start-point", type=Path, required=True, help="an HF model directory")
    parser.add_argument("--livedoor", type=Path, default=Path("../shared/data/ja_text/livedoor"))
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--max-train-documents", type=int)
    parser.add_argument("--random-init", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    config = ProbeConfig(
        trials=args.trials, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, max_seq_length=args.max_seq_length,
        max_train_documents=args.max_train_documents, random_init=args.random_init,
    )  # fmt: skip
    result = probe(args.start_point, args.livedoor, config)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"livedoor macro-F1 {100 * result['test_macro_f1_mean']:.2f} "
        f"± {100 * result['test_macro_f1_std']:.2f} over {config.trials} trial(s) → {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
