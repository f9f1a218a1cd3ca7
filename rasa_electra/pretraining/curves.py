"""The pretraining loss curves as a PNG, from ``log.jsonl`` (no torch: runs in either env
that has matplotlib, e.g. the Rasa one)."""

from __future__ import annotations

import json
from pathlib import Path


def read_log(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def plot_curves(log: list[dict], out: str | Path, title: str) -> Path:
    """Generator MLM loss, discriminator loss and accuracy against steps (and tokens seen)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not log:
        raise ValueError("the log is empty: nothing to plot")
    steps = [r["step"] for r in log]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for axis, key, label in zip(
        axes,
        ("mlm_loss", "disc_loss", "disc_accuracy"),
        ("generator MLM loss", "discriminator loss (RTD)", "discriminator accuracy"),
        strict=True,
    ):
        axis.plot(steps, [r[key] for r in log], color="tab:blue")
        axis.set_title(label)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
    tokens = log[-1]["tokens_seen"]
    figure.suptitle(f"{title} — {steps[-1]} steps, {tokens / 1e6:.1f}M tokens")
    figure.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out
