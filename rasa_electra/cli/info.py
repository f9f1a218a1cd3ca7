"""The installed models a pipeline can name (``pretrained: electra-small-ja``), with their cards.

    rasa-electra info            # each model: its package, version, directory and card
    rasa-electra info --json     # the same as JSON

A model is a Python package that declares itself under the ``rasa_electra.models`` entry point
(``pip install path/to/rasa-electra/pretrained`` installs the shipped encoder).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from rasa_electra.model.model_spec import installed_models

CARD = "pretraining_card.json"  # the shipped encoder's card (lab.pretraining writes it)


def describe(card: dict[str, Any]) -> list[str]:
    """A card's lines a bot builder reads: what it is, what it saw, how it was adapted."""
    lines = [card.get("what", "no description")]
    if "tokens_seen" in card:
        when = f"{card.get('hardware', '?')}, {str(card.get('date', '?'))[:10]}"
        lines.append(f"pretrained on {card['tokens_seen'] / 1e6:.0f}M tokens ({when})")
    adaptation = card.get("adaptation") or {}
    if adaptation.get("what"):
        lines.append(f"adapted: {adaptation['what']}")
    licences = [item.get("licence") for item in card.get("corpus_licences", [])]
    if licences:
        lines.append("data licences: " + "; ".join(dict.fromkeys(filter(None, licences))))
    return lines


def models() -> list[dict[str, Any]]:
    rows = []
    for name, model in sorted(installed_models().items()):
        card_file = model.directory / CARD
        card = json.loads(card_file.read_text(encoding="utf-8")) if card_file.is_file() else {}
        rows.append({"name": name, "package": model.distribution, "version": model.version,
                     "directory": str(model.directory), "card": card})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the models as JSON")
    args = parser.parse_args(argv)
    rows = models()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    try:
        own = version("rasa-electra")
    except PackageNotFoundError:
        own = "not installed"
    print(f"rasa-electra {own}")
    if not rows:
        print("no installed models: `pip install path/to/rasa-electra/pretrained` installs the "
              "shipped encoder as electra-small-ja")  # fmt: skip
        return 0
    print("installed models (a pipeline's `pretrained: NAME`):")
    for row in rows:
        print(f"  {row['name']}  ({row['package']} {row['version']})  {row['directory']}")
        for line in describe(row["card"]):
            print(f"      {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
