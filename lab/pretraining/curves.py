"""The pretraining loss curves as a PNG, from ``log.jsonl`` (no torch: runs in either env
that has matplotlib, e.g. the Rasa one)."""

from __future__ import annotations

import json
import math
from pathlib import Path


def read_log(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def prior_loss(replaced_fraction: float) -> float:
    """The discriminator loss of always answering the replaced fraction (binary entropy)."""
    p = min(max(replaced_fraction, 1e-9), 1 - 1e-9)
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


def plot_curves(log: list[dict], out: str | Path, title: str) -> Path:
    """Generator MLM loss; discriminator loss, accuracy and AUC against the prior (a detector
    that only knows how many tokens are replaced): a discriminator on its prior line has
    learned nothing about which tokens are."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not log:
        raise ValueError("the log is empty: nothing to plot")
    steps = [r["step"] for r in log]
    replaced = [r["replaced_fraction"] for r in log]
    priors = {
        "disc_loss": [prior_loss(p) for p in replaced],
        "disc_accuracy": [1 - min(p, 1 - p) for p in replaced],
        "disc_auc": [0.5] * len(log),
    }
    panels = [
        ("mlm_loss", "generator MLM loss"),
        ("disc_loss", "discriminator loss (RTD)"),
        ("disc_accuracy", "discriminator accuracy"),
        ("disc_auc", "discriminator AUC"),
    ]
    panels = [(key, label) for key, label in panels if key in log[0]]
    figure, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 3.6))
    for axis, (key, label) in zip(axes, panels, strict=True):
        axis.plot(steps, [r[key] for r in log], color="tab:blue", label="run")
        if key in priors:
            axis.plot(steps, priors[key], color="tab:gray", linestyle="--", label="prior")
            axis.legend(loc="best", fontsize=8)
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
