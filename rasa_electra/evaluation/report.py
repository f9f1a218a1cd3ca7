"""The harness results as a report people read: markdown tables, JSON, and two PNG charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rasa_electra.data.tags import ATTRIBUTES
from rasa_electra.evaluation.scoreboard import format_stat, scaled, system_record, systems_table


def labels_by_support(systems: dict[str, Any]) -> list[str]:
    """Every label any system saw, most frequent in the gold data first."""

    def support(label: str) -> int:
        return max(s["per_label"].get(label, {}).get("support", 0) for s in systems.values())

    return sorted(
        {label for s in systems.values() for label in s["per_label"]}, key=lambda x: -support(x)
    )


def markdown(results: dict[str, Any], title: str) -> str:
    systems = results["systems"]
    lines = [
        f"# {title}",
        "",
        f"Train: `{results['train']}` · test: `{results['test']}` ({results['test_messages']} "
        "messages). Span-level scores: exact (start, end, label) on characters, through the "
        "trained Rasa model; mean ± std over trials.",
        "",
        *systems_table({name: system_record(s) for name, s in systems.items()}),
        "",
        "Train s is `rasa train` (after `spacy train` for spacy); for an ELECTRA export made "
        "beforehand it adds the export's fine-tuning time from its model card. MB: the Rasa "
        "archive, plus the spaCy pipeline it loads by path (spacy, ginza). Boundary F1 ignores "
        "labels. Unrepresentable: test entities whose edges fall inside one of the system's "
        "words (no such system can get them right).",
        "",
        "`rasa test nlu`'s own entity numbers (token-level, weighted averages over labels — not "
        "comparable to the span-level table above; it leaves Rasa's SpacyEntityExtractor out):",
        "",
        "| system | extractor | precision | recall | F1 |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, s in systems.items():
        for extractor, avg in s["token_level_weighted_avg"].items():
            lines.append(
                f"| {name} | {extractor} | {100 * avg.get('precision', 0):.2f} "
                f"| {100 * avg.get('recall', 0):.2f} | {100 * avg.get('f1-score', 0):.2f} |"
            )
    lines += attribute_table(systems)
    labels = labels_by_support(systems)
    header = "| label | support | " + " | ".join(systems) + " |"
    lines += [
        "",
        "Per-label F1 (mean ± std):",
        "",
        header,
        "| --- | ---: |" + " ---: |" * len(systems),
    ]
    for label in labels:
        support = max(s["per_label"].get(label, {}).get("support", 0) for s in systems.values())
        cells = [
            format_stat(scaled(s["per_label"][label]["f1"])) if label in s["per_label"] else "–"
            for s in systems.values()
        ]
        lines.append(f"| {label} | {support} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def attribute_table(systems: dict[str, Any]) -> list[str]:
    """Entity+role and entity+group scores (a span counts only with its role or group right),
    for test data that has roles or groups."""
    lines = []
    for attribute in ATTRIBUTES:
        scored = {name: s[f"{attribute}_micro"] for name, s in systems.items()
                  if f"{attribute}_micro" in s}  # fmt: skip
        if not scored:
            continue
        header = f"| system | entity+{attribute} P | R | F1 |"
        lines += [
            "",
            f"Entity+{attribute} (mean ± std):",
            "",
            header,
            "| --- | ---: | ---: | ---: |",
        ]
        for name, micro in scored.items():
            cells = [format_stat(scaled(micro[k])) for k in ("precision", "recall", "f1")]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def plot(results: dict[str, Any], out_dir: Path, title: str) -> list[Path]:
    """``f1.png`` (micro F1 ± std per system) and ``per_label_f1.png`` (grouped bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    systems = results["systems"]
    names = list(systems)
    paths = []

    figure, axis = plt.subplots(figsize=(1.6 * len(names) + 2, 4))
    means = [100 * systems[n]["micro"]["f1"]["mean"] for n in names]
    stds = [100 * systems[n]["micro"]["f1"]["std"] for n in names]
    bars = axis.bar(names, means, yerr=stds, capsize=6, color=plt.cm.tab10.colors[: len(names)])
    axis.bar_label(bars, labels=[f"{m:.1f}" for m in means], padding=3)
    axis.set_ylabel("span-level micro F1 (%)")
    axis.set_ylim(0, 100)
    axis.set_title(title)
    figure.tight_layout()
    paths.append(out_dir / "f1.png")
    figure.savefig(paths[-1], dpi=120)
    plt.close(figure)

    labels = labels_by_support(systems)
    figure, axis = plt.subplots(figsize=(max(6, 0.55 * len(labels) * len(names) + 2), 4.5))
    width = 0.8 / max(1, len(names))
    positions = np.arange(len(labels))
    for k, name in enumerate(names):
        per = systems[name]["per_label"]
        values = [100 * per[label]["f1"]["mean"] if label in per else 0 for label in labels]
        errors = [100 * per[label]["f1"]["std"] if label in per else 0 for label in labels]
        axis.bar(positions + k * width, values, width, yerr=errors, capsize=2, label=name)
    axis.set_xticks(positions + width * (len(names) - 1) / 2, labels, rotation=60, ha="right")
    axis.set_ylabel("span-level F1 (%)")
    axis.set_ylim(0, 100)
    axis.legend()
    axis.set_title(f"{title}: F1 per label (most frequent first)")
    figure.tight_layout()
    paths.append(out_dir / "per_label_f1.png")
    figure.savefig(paths[-1], dpi=120)
    plt.close(figure)
    return paths


def write_report(results: dict[str, Any], out_dir: Path, title: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    text, confusion_plots = markdown(results, title), []
    if any(results.get("predictions", {}).values()):
        text, confusion_plots = with_errors(results, out_dir, text)
    (out_dir / "results.md").write_text(text, encoding="utf-8")
    return [out_dir / "results.json", out_dir / "results.md", *plot(results, out_dir, title),
            *confusion_plots]  # fmt: skip


def with_errors(results: dict[str, Any], out_dir: Path, text: str) -> tuple[str, list[Path]]:
    """The report's error analysis (first trial of each system) and its confusion matrices."""
    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.evaluation import errors

    gold = read_rasa_data(results["test"])
    predictions = {name: errors.from_rows(gold, rows)
                   for name, rows in results["predictions"].items() if rows}  # fmt: skip
    lines = [
        "",
        "## Error analysis (each system's first trial)",
        *errors.error_tables(gold, predictions),
    ]
    paths = []
    for name, predicted in predictions.items():
        path = out_dir / f"confusion-{name.replace('@', '-')}.png"
        title = f"{name}: gold label against predicted, by overlap"
        paths.append(errors.plot_confusion(errors.confusion(gold, predicted), path, title))
        lines.append(f"\n![{name}'s label confusion]({path.name})")
    return text + "\n".join(lines) + "\n", paths
