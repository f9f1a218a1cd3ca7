"""Score ELECTRA joined with a CRF at decoding, at several weights, without retraining.

    python -m lab score-join --crf runs/bot/models/crf-…/model.tar.gz \
        --electra runs/bot/models/electra-…/model.tar.gz --electra … \
        --data data/booking-bot/test.yml --weights 0,0.5,1,2,4 --out join.json

The CRF archive parses each message through Rasa's Agent (its entities, with their
confidences); each ELECTRA archive's export then decodes the message with those entities
weighed in (``model.features.Hint``) at every weight, as the component's ``join_extractors``
does inside one pipeline. Weight 0 is ELECTRA alone, the CRF's row is the CRF alone. With
several ELECTRA archives (one per seed) each weight's mean ± std is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.data.span_metrics import score_spans, summarize_trials
from rasa_electra.data.spans import Example
from rasa_electra.model.features import Hint


def crf_entities(archive: Path, texts: list[str]) -> list[Example]:
    from rasa_electra.data.rasa_nlu import example_from_message
    from rasa_electra.evaluation.rasa_agent import load_agent, parse_texts, quiet_rasa

    quiet_rasa()
    agent, _ = load_agent(archive)
    parses, _ = asyncio.run(parse_texts(agent, texts, "CRF"))
    return [example_from_message(p["text"], p.get("entities") or [], None) for p in parses]


def joined_scores(export: Path, gold: list[Example], crf: list[Example],
                  weights: list[float]) -> dict[str, dict]:  # fmt: skip
    from rasa_electra.serving import ServingOptions, open_export

    model = open_export(export, ServingOptions())  # as the component serves it (backend auto)
    scores = {}
    for weight in weights:
        hints = [Hint(tuple(e.spans), weight) for e in crf]
        predicted = model.predict([Example(e.text) for e in gold], hints=hints)
        scores[f"{weight:g}"] = score_spans(gold, predicted).micro.as_dict()
    return scores


def main(argv: list[str] | None = None) -> int:
    from lab.cli.score_decoding import archived_export

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--crf", type=Path, required=True, help="the CRF's Rasa model archive")
    parser.add_argument("--electra", type=Path, action="append", required=True,
                        help="an ELECTRA Rasa model archive (one per seed)")  # fmt: skip
    parser.add_argument("--data", type=Path, required=True, help="Rasa NLU YAML, gold entities")
    parser.add_argument("--weights", default="0,0.5,1,2,4", help="comma-separated join weights")
    parser.add_argument("--out", type=Path, help="write every score as JSON here")
    args = parser.parse_args(argv)
    gold = read_rasa_data(args.data)
    weights = [float(w) for w in args.weights.split(",")]
    crf = crf_entities(args.crf, [e.text for e in gold])
    report = {"crf": score_spans(gold, crf).micro.as_dict(), "electra": []}
    with tempfile.TemporaryDirectory() as scratch:
        for number, archive in enumerate(args.electra):
            export = archived_export(archive, Path(scratch) / str(number))
            report["electra"].append(joined_scores(export, gold, crf, weights))
    print(f"{args.data} ({len(gold)} messages); crf F1 {100 * report['crf']['f1']:.2f}")
    for weight in weights:
        runs = [{"micro": s[f"{weight:g}"], "per_label": {}} for s in report["electra"]]
        report[f"joined {weight:g}"] = summary = summarize_trials(runs)["micro"]
        print(f"  weight {weight:g}: F1 {100 * summary['f1']['mean']:.2f} "
              f"± {100 * summary['f1']['std']:.2f}")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0
