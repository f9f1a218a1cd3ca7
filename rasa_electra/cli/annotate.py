"""Suggest entities for a bot's examples that have none, and write the NLU file for review.

    rasa-electra annotate data/nlu.yml --model models/gsd.tar.gz --out data/nlu.suggested.yml
    rasa-electra annotate data/nlu.yml --model results/gsd/export \
        --entity-map DATE=date,PERSON=name,GPE=place --min-confidence 0.8 --out suggested.yml

``--model`` is a trained Rasa archive (parsed through Rasa's Agent, with every extractor of
its pipeline) or an ELECTRA export directory (``finetune --out DIR`` writes ``DIR/export``),
whose labels ``--entity-map`` renames to the bot's names, dropping the labels it leaves out.
Annotated examples are never changed; each suggestion's confidence is a comment after its
example (``data.suggestions``). The report says how many examples gained entities.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no reports to Rasa's servers

from rasa_electra.cli import parse_entity_map
from rasa_electra.data.spans import Span
from rasa_electra.data.suggestions import Suggest, SuggestionError, suggest_entities


def archive_suggestions(archive: Path) -> Suggest:
    """What a trained Rasa model extracts from each text (every extractor of its pipeline)."""
    from rasa_electra.evaluation.rasa_agent import parse_examples

    def suggest(texts: Sequence[str]) -> list[tuple[Span, ...]]:
        parsed = parse_examples(archive, texts, "annotating")
        return [example.spans for example in parsed.predictions]

    return suggest


def export_suggestions(export_dir: Path, entity_map: dict[str, str] | None) -> Suggest:
    """An export's entities under the bot's names (``entity_map``: the component's rule)."""
    from dataclasses import replace

    from rasa_electra.components.entities import bot_name
    from rasa_electra.serving import ServingOptions, open_export

    model = open_export(export_dir, ServingOptions())

    def suggest(texts: Sequence[str]) -> list[list[Span]]:
        named = []
        for example in model.predict(list(texts)):
            spans = [(s, bot_name(s.label, entity_map)) for s in example.spans]
            named.append([replace(s, label=name) for s, name in spans if name])
        return named

    return suggest


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the bot's Rasa NLU YAML file")
    parser.add_argument(
        "--model", type=Path, required=True,
        help="a trained Rasa model .tar.gz, or an ELECTRA export directory",
    )  # fmt: skip
    parser.add_argument(
        "--entity-map",
        help="with an export: the bot's names for its labels, e.g. DATE=date,GPE=place "
        "(labels left out are not suggested)",
    )
    parser.add_argument(
        "--min-confidence", type=float, default=0.0,
        help="suggest only entities at least this sure (the mean probability of their tags)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, required=True, help="the YAML written for review")
    parser.add_argument("--report", type=Path, help="also write the report's counts as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    entity_map = parse_entity_map(args.entity_map)
    if args.out.resolve() == args.data.resolve():
        raise SystemExit("--out must not be the data file: suggestions are for review first")
    if args.model.is_dir():
        suggest = export_suggestions(args.model, entity_map)
    elif args.model.is_file():
        if entity_map:
            raise SystemExit("--entity-map is for an export; a Rasa model names its own entities")
        suggest = archive_suggestions(args.model)
    else:
        raise SystemExit(f"--model {args.model}: no such archive or export directory")
    try:
        text, report = suggest_entities(args.data, suggest, args.min_confidence)
    except SuggestionError as error:
        raise SystemExit(str(error)) from None
    args.out.write_text(text, encoding="utf-8")
    for line in report.lines():
        print(line)
    print(f"written for review: {args.out}")
    if args.report:
        args.report.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
