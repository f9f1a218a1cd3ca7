"""Parse a Rasa NLU data file through a trained Rasa model and score its entities.

    rasa-electra parse --model models/crf-gsd-v2_6-NE.tar.gz --data data/gsd_v2.6-NE/test.yml

Goes through Rasa's own Agent (what a deployed bot does), so the figures are what a Rasa user
gets: span-level micro and per-label P/R/F1 (exact start, end, label) and per-message latency.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no reports to Rasa's servers

from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.data.span_metrics import format_scores, score_spans
from rasa_electra.evaluation.rasa_agent import parse_examples, percentile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a Rasa model .tar.gz")
    parser.add_argument("--data", type=Path, required=True, help="Rasa NLU YAML with gold entities")
    parser.add_argument("--show", type=int, default=0, help="print this many parsed examples")
    parser.add_argument("--out", type=Path, help="write the scores as JSON here")
    parser.add_argument(
        "--predictions", type=Path,
        help="write every message's predicted entities here (JSON: text and spans with their "
        "confidence), e.g. to compare two models' entities message by message",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not args.model.is_file():  # Rasa would silently load the newest model in the folder
        parser.error(f"no model archive at {args.model}")
    gold = read_rasa_data(args.data)
    parsed = parse_examples(args.model, [example.text for example in gold])
    predicted, load_seconds = parsed.predictions, parsed.load_seconds
    latencies = parsed.latencies_ms
    p50, p95 = statistics.median(latencies), percentile(latencies, 95)
    for g, p in list(zip(gold, predicted, strict=True))[: args.show]:
        print(f"\n{g.text}\n  gold:      {g.entities()}\n  predicted: {p.entities()}")
    scores = score_spans(gold, predicted)
    print(f"\nspan-level scores on {args.data} ({len(gold)} messages, exact start/end/label):")
    print(format_scores(scores))
    print(f"model load {load_seconds:.2f}s; latency per message p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    if args.predictions:
        rows = [{"text": p.text, "entities": [asdict(span) for span in p.spans]} for p in predicted]
        args.predictions.write_text(
            json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    if args.out:
        report = {
            "model": str(args.model),
            "data": str(args.data),
            "micro": scores.micro.as_dict(),
            "per_label": {label: s.as_dict() for label, s in scores.per_label.items()},
            "load_seconds": load_seconds,
            "latency_ms": {"p50": p50, "p95": p95},
        }
        args.out.write_text(
            json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
