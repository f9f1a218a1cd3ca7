"""Average fine-tunings of one start point that differ in their seed into one export.

    python -m lab soup --export results/ablation/silver50k-then-gold-s42/export \
        --export results/ablation/silver50k-then-gold-s43/export \
        --dev data/gsd_v2.6-NE/dev.yml --out results/ablation/silver50k-then-gold-soup-s42

The soup (``model.soup``) is scored on dev beside each ingredient; ``results.json`` has the
shape of ``finetune``'s, so ``ablation`` reads it as a run, and ``<out>/export`` serves like any
export. No test split: a soup is a lever, chosen on dev. Like finetune's, the export is
converted for `backend: auto` unless ``--formats none``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rasa_electra.cli import add_formats_option, convert_if_asked
from rasa_electra.model import DataLoader
from rasa_electra.model.soup import SoupError, average


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", type=Path, action="append", required=True,
                        help="an ingredient export (at least two)")  # fmt: skip
    parser.add_argument("--dev", type=Path, required=True, help="Rasa NLU YAML to score on")
    parser.add_argument("--out", type=Path, required=True)
    add_formats_option(parser)
    args = parser.parse_args(argv)
    try:
        soup = average(args.export)
    except SoupError as error:
        parser.error(str(error))
    dev = DataLoader.from_rasa_yaml(args.dev, soup.spec)
    soup.scores["dev"] = soup.evaluate(dev)
    ingredients = []
    for export in args.export:
        card = json.loads((export / "model_card.json").read_text(encoding="utf-8"))
        f1 = card.get("scores", {}).get("dev", {}).get("micro", {}).get("f1")
        seconds = round(sum(card.get("training", {}).get("seconds_per_epoch", [])), 1)
        ingredients.append({"export": str(export), "dev_f1": f1, "training_seconds": seconds})
        print(f"ingredient {export}: dev F1 {100 * f1:.2f}" if f1 is not None else str(export))
    micro = soup.scores["dev"]["micro"]
    print(f"soup of {len(ingredients)}: dev P {100 * micro['precision']:.2f}  "
          f"R {100 * micro['recall']:.2f}  F1 {100 * micro['f1']:.2f}")  # fmt: skip
    record = {"seed": None, "dev": soup.scores["dev"], "best_epoch": None,
              "chosen": f"soup of {len(ingredients)}", "epochs": []}  # fmt: skip
    results = {
        "soup": ingredients,
        "data": {"dev": str(args.dev)},
        "hyperparameters": soup.config.as_dict(),
        "trials": [record],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    soup.export(args.out / "export", data=results["data"], soup=ingredients)
    convert_if_asked(args, args.out / "export", dev.examples)
    print(f"wrote {args.out}/results.json and the soup's export in {args.out}/export")
    return 0


if __name__ == "__main__":
    sys.exit(main())
