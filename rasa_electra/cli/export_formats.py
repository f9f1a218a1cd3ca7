"""Convert an export to TFLite / ONNX formats and score each against the SavedModel.

    python -m rasa_electra.cli.export_formats --export results/electra-small/export \
        --data data/gsd_v2.6-NE [--formats tflite-dynamic,onnx]

Writes ``<export>/formats/<format>.{tflite,onnx}`` and ``formats/formats.json``, and prints a
markdown table: size, dev and test span F1, the drop from the SavedModel, the share of messages
with the very same entities, and whether the Rasa component offers the format (dev drop at most
0.5 F1; test is reported, never used to decide).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from rasa_electra.serving import backends
    from rasa_electra.serving.formats import evaluate_formats

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", type=Path, required=True, help="an export directory")
    parser.add_argument(
        "--formats",
        default=",".join(backends.all_format_names()),
        help=f"comma-separated, from {', '.join(backends.all_format_names())}",
    )
    parser.add_argument("--data", type=Path, help="a folder with dev.yml (and test.yml)")
    parser.add_argument("--dev", type=Path, help="the Rasa NLU file that decides the offer")
    parser.add_argument("--test", type=Path, help="a Rasa NLU file only reported")
    parser.add_argument("--threads", type=int, default=0, help="per model call; 0 = all cores")
    args = parser.parse_args(argv)

    dev = args.dev or (args.data / "dev.yml" if args.data else None)
    test = args.test or (args.data / "test.yml" if args.data else None)
    if dev is None or not dev.is_file():
        parser.error(f"a dev split is needed to decide which formats are offered (got {dev})")
    names = [n.strip() for n in args.formats.split(",") if n.strip()]
    unknown = sorted(set(names) - set(backends.all_format_names()))
    if unknown:
        parser.error(f"unknown format(s) {', '.join(unknown)}")

    from rasa_electra.data.rasa_nlu import read_rasa_data

    report = evaluate_formats(
        args.export,
        names,
        read_rasa_data(dev),
        read_rasa_data(test) if test and test.is_file() else (),
        args.threads,
    )
    print(format_table(report, names))
    return 0


def format_table(report: dict, names: list[str]) -> str:
    splits = [s for s in ("dev", "test") if s in report["savedmodel"]]
    header = "| format | MB | " + " | ".join(
        f"{s} F1 | {s} drop | {s} same entities" for s in splits
    )
    lines = [header + " | offered |", "|---|---:|" + "---:|---:|---:|" * len(splits) + "---|"]
    reference = " | ".join(f"{report['savedmodel'][s]['f1']:.2f} | – | –" for s in splits)
    lines.append(f"| savedmodel | – | {reference} | yes |")
    for name in names:
        entry = report["formats"][name]
        cells = " | ".join(
            f"{entry[s]['f1']:.2f} | {entry[s]['f1_drop']:+.2f} | {entry[s]['same_spans']:.1%}"
            for s in splits
        )
        offered = "yes" if entry["offered"] else "no"
        lines.append(f"| {name} | {entry['megabytes']:.1f} | {cells} | {offered} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
