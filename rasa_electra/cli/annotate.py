"""Suggest entities for a bot's examples that have none, and write the NLU file for review.

    rasa-electra annotate data/nlu.yml --model models/gsd.tar.gz --out data/nlu.suggested.yml
    rasa-electra annotate data/nlu.yml --model results/gsd/export \
        --entity-map DATE=date,PERSON=name,GPE=place --min-confidence 0.8 --out suggested.yml

``--model`` is a trained Rasa archive (parsed through Rasa's Agent, with every extractor of
its pipeline) or an ELECTRA export directory (``finetune --out DIR`` writes ``DIR/export``);
``--entity-map`` renames its labels to the bot's names, dropping the labels it leaves out (a
GSD model's PERSON → name). Annotated examples are never changed; each suggestion's confidence
is a comment after its example (``data.suggestions``). The report says how many examples gained
entities; ``--gold`` scores the suggestions against a file that has them annotated.
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
from rasa_electra.data.spans import Example, Span
from rasa_electra.data.suggestions import Suggest, SuggestionError, suggest_entities


def model_suggestions(model: Path, entity_map: dict[str, str] | None) -> Suggest:
    """What a trained Rasa model (every extractor of its pipeline) or an export finds in each
    text, under the bot's names (``entity_map``: the component's rule)."""
    from dataclasses import replace

    from rasa_electra.components.entities import bot_name

    if model.is_dir():
        from rasa_electra.serving import ServingOptions, open_export

        served = open_export(model, ServingOptions())

        def predict(texts: Sequence[str]) -> list[Example]:
            return served.predict(list(texts))
    else:
        from rasa_electra.evaluation.rasa_agent import parse_examples

        def predict(texts: Sequence[str]) -> list[Example]:
            return parse_examples(model, texts, "annotating").predictions

    def suggest(texts: Sequence[str]) -> list[list[Span]]:
        named = []
        for example in predict(texts):
            spans = [(s, bot_name(s.label, entity_map)) for s in example.spans]
            named.append([replace(s, label=name) for s, name in spans if name])
        return named

    return suggest


def score_against(gold_file: Path, suggested_file: Path, original: Path) -> str:
    """The suggestions' span scores against ``gold_file``: only the examples that had no
    entity in ``original`` are scored (the ones annotate could change)."""
    from rasa_electra.data.rasa_nlu import read_rasa_data
    from rasa_electra.data.span_metrics import format_scores, score_spans

    gold, suggested, before = (read_rasa_data(f) for f in (gold_file, suggested_file, original))
    if [e.text for e in gold] != [e.text for e in before]:
        raise SystemExit(f"--gold {gold_file} does not hold the same examples as {original}")
    chosen = [i for i, example in enumerate(before) if not example.spans]
    scores = score_spans([gold[i] for i in chosen], [suggested[i] for i in chosen])
    return f"suggestions against {gold_file} ({len(chosen)} examples):\n{format_scores(scores)}"


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
    parser.add_argument(
        "--gold", type=Path,
        help="the same examples annotated: score the suggestions against it (precision, recall)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    entity_map = parse_entity_map(args.entity_map)
    if args.out.resolve() == args.data.resolve():
        raise SystemExit("--out must not be the data file: suggestions are for review first")
    if not args.model.exists():
        raise SystemExit(f"--model {args.model}: no such archive or export directory")
    suggest = model_suggestions(args.model, entity_map)
    try:
        text, report = suggest_entities(args.data, suggest, args.min_confidence)
    except SuggestionError as error:
        raise SystemExit(str(error)) from None
    args.out.write_text(text, encoding="utf-8")
    for line in report.lines():
        print(line)
    print(f"written for review: {args.out}")
    if args.gold:
        print(score_against(args.gold, args.out, args.data))
    if args.report:
        args.report.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
