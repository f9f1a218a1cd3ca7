"""ELECTRA replaced-token-detection pretraining on token-id shards (PyTorch + Accelerate).

python -m lab.cli.pretrain --shards corpus/shards-128 --preset small \
    --out models/electra-small-ja
accelerate launch -m lab.cli.pretrain …   # several GPUs / machines / TPU, same arguments

Run it again with the same --out to resume from the last complete checkpoint; --stop-at N
leaves after step N (for job time limits) without changing the learning-rate schedule;
--export-now exports the last checkpoint of an unfinished run; --export-carried DIR exports the
weights a GPU machine sent back (scripts/gpu_pretrain.sh), with --shards naming the pack they
were trained on. The discriminator lands in OUT/discriminator, a start point for
`rasa_electra.cli.finetune --start-point`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lab.pretraining.electra import PRESETS
from lab.pretraining.trainer import (
    PretrainConfig,
    export,
    load_carried_model,
    load_sequences,
    pretrain,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shards", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--train-steps", type=int, help="schedule length (preset's by default)")
    parser.add_argument("--batch-size", type=int, help="global batch (preset's by default)")
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--warmup-steps", type=int)
    parser.add_argument("--mask-prob", type=float, help="0.15 (small, base) or 0.25")
    parser.add_argument("--disc-weight", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--save-every", type=int, default=1000)
    parser.add_argument("--keep-checkpoints", type=int, default=2)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--mixed-precision", choices=["no", "bf16", "fp16"])
    parser.add_argument("--stop-at", type=int, help="leave after this step (resumable)")
    parser.add_argument(
        "--export-now", action="store_true",
        help="export the discriminator of the last checkpoint of an unfinished run",
    )  # fmt: skip
    parser.add_argument("--export-carried", type=Path, help="weights a GPU run sent back")
    args = parser.parse_args(argv)
    if args.export_carried is not None:
        return export_carried(args.export_carried, args.shards, args.out)
    config = PretrainConfig(
        preset=args.preset, train_steps=args.train_steps, batch_size=args.batch_size,
        learning_rate=args.learning_rate, warmup_steps=args.warmup_steps,
        mask_prob=args.mask_prob, disc_weight=args.disc_weight, seed=args.seed,
        save_every=args.save_every, keep_checkpoints=args.keep_checkpoints,
        log_every=args.log_every, mixed_precision=args.mixed_precision,
    )  # fmt: skip
    state = pretrain(args.shards, args.out, config, stop_at=args.stop_at,
                     export_only=args.export_now)  # fmt: skip
    done = state.step >= config.resolved().train_steps or args.export_now
    print(
        f"step {state.step}, {state.tokens_seen} tokens, {state.seconds:.0f}s; "
        + (f"discriminator in {args.out / 'discriminator'}" if done else "resumable")
    )
    return 0


def export_carried(carried: Path, data_dir: Path, out: Path) -> int:
    """The discriminator (and generator, curves, card) from weights carried back; the card
    takes the run's own report (sweep, choice, hardware) from ``run.json``."""
    report = json.loads((carried / "run.json").read_text(encoding="utf-8"))
    config = PretrainConfig(**report["config"])
    data = load_sequences(data_dir)
    model, state = load_carried_model(carried, config, data)
    keys = ("smoke", "sweep", "choice", "train_seconds", "total_seconds")
    card = {"hardware": report["hardware"], "gpu_run": {k: report.get(k) for k in keys}}
    target = export(model, data, out, config, state, extra_card=card)
    print(f"step {state.step}, {state.tokens_seen} tokens; discriminator in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
