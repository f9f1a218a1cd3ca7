"""Compare entity extraction systems through Rasa on any Rasa NLU data with train and test files.

    python -m rasa_electra.cli.evaluate --data data/gsd_v2.6-NE \
        --systems crf,crf-rasa,electra,diet,spacy,ginza \
        --electra-export models/electra-demo-v2_6-NE/export --trials 3 --out reports/gsd-v2.6 \
        --scoreboard docs/scoreboard.json --run gsd-v2.6-all

    python -m rasa_electra.cli.evaluate --data data/gsd_v2.6-NE --systems crf,electra,diet \
        --electra-start-point DIR_OR_HUB_ID --quick --out reports/quick

Writes results.json, results.md, f1.png and per_label_f1.png to --out, and with --scoreboard
appends the run's record there. ``--quick`` uses a few sentences, one trial and short
training, for smoke tests. Trained models are kept under --out/models by recipe: a rerun (after
an interruption, or with one more system) reuses them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no reports to Rasa's servers

from rasa_electra import defaults
from rasa_electra.evaluation.systems import SYSTEMS

# --quick: spaCy's loop stops after a few steps instead of its patience of 1,600
QUICK_SPACY = {"training.max_steps": 60, "training.eval_frequency": 20}


def absolute_start_point(source: str | None) -> str | None:
    """Rasa runs in a work folder per trial, so local paths must not be relative."""
    if source is None:
        return None
    if source.startswith("random-init:"):
        _, size, vocab = source.split(":", 2)
        return f"random-init:{size}:{Path(vocab).resolve()}"
    return str(Path(source).resolve()) if Path(source).exists() else source  # else a hub id


def key_values(text: str, flag: str, form: str = "KEY=VALUE") -> list[tuple[str, str]]:
    """``a=b, c=d`` → [("a", "b"), ("c", "d")]; anything else stops with what ``flag`` expects."""
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 or not all(part.strip() for part in pair) for pair in pairs):
        raise SystemExit(f"{flag}: expected {form},…, got {text!r}")
    return [(key.strip(), value.strip()) for key, value in pairs]


def parse_entity_map(text: str | None) -> dict[str, str] | None:
    """``GPE=place,LOC=place`` → {"GPE": "place", "LOC": "place"}."""
    return dict(key_values(text, "--electra-entity-map", "LABEL=name")) if text else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="folder with train.yml and test.yml")
    parser.add_argument("--train", type=Path)
    parser.add_argument("--test", type=Path)
    parser.add_argument("--dev", type=Path, help="for choices made on dev (default: DATA/dev.yml)")
    parser.add_argument(
        "--systems",
        default="crf,electra",
        help="comma-separated, any of: "
        + "; ".join(f"{name} ({what})" for name, what in SYSTEMS.items())
        + "; and electra@FORMAT (e.g. electra@tflite-dynamic: the export on a converted "
        "format, made by rasa_electra.cli.export_formats)",
    )
    parser.add_argument(
        "--trials", type=int, default=1, help="seeds per stochastic system (diet, spacy, "
        "electra fine-tuned in `rasa train`); deterministic ones run once"
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--electra-start-point", help="fine-tuned inside `rasa train` (trainable mode)"
    )
    parser.add_argument(
        "--electra-export", action="append",
        help="an export from rasa_electra.cli.finetune (model_path mode); repeat it with the "
        "same recipe's exports of other seeds to score one trial per export",
    )  # fmt: skip
    parser.add_argument(
        "--electra-entity-map",
        help="the component's entity_map, e.g. GPE=place,LOC=place,DATE=date (labels left out "
        "are dropped; with an export as start point it also seeds the new labels' rows)",
    )
    parser.add_argument("--electra-epochs", type=int, default=defaults.EPOCHS)
    parser.add_argument(
        "--electra-learning-rate", type=float,
        help="trainable mode's learning_rate (default: the component's, which the start point's "
        "head decides)",
    )  # fmt: skip
    parser.add_argument(
        "--electra-o-bias", type=float,
        help="the component's o_bias (default: each model's own, which its card records)",
    )  # fmt: skip
    parser.add_argument(
        "--quick",
        action="store_true",
        help="60 train / 30 test sentences, 1 trial, one ELECTRA seed (no soup)",
    )
    parser.add_argument(
        "--diet-epochs", help="DIET's epochs, several (e.g. 10,20) chosen on dev "
        "(default: the harness's, 10,20; --quick: 2)"
    )  # fmt: skip
    parser.add_argument(
        "--crf-config", type=Path, default=Path("config.yml"), help="the CRF system's pipeline"
    )
    parser.add_argument(
        "--crf-tokenizer", help="the CRF config's tokenizer options replaced, e.g. "
        "dictionary=sudachi,split_mode=C (values read as YAML: null, true, 3)"
    )  # fmt: skip
    parser.add_argument(
        "--spacy-config", type=Path, default=Path("config-spacy.cfg"), help="spacy's config"
    )
    parser.add_argument("--title", default="Entity extraction through Rasa")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scoreboard", type=Path, help="append this run's record here")
    parser.add_argument("--run", help="the run's name in the scoreboard (default: --out's name)")
    parser.add_argument("--note", default="", help="what a reader of the record must know")
    args = parser.parse_args(argv)

    from rasa_electra.evaluation.harness import HarnessOptions, evaluate_systems
    from rasa_electra.evaluation.report import write_report

    train = args.train or (args.data / "train.yml" if args.data else None)
    test = args.test or (args.data / "test.yml" if args.data else None)
    dev = args.dev or (args.data / "dev.yml" if args.data else None)
    if not train or not test or not train.is_file() or not test.is_file():
        parser.error("give --data DIR (with train.yml and test.yml) or --train FILE --test FILE")
    if dev is not None and not dev.is_file():
        parser.error(f"no dev file at {dev}")
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if any(s.startswith("electra") for s in systems) and not (
        args.electra_start_point or args.electra_export
    ):
        parser.error("the electra system needs --electra-start-point or --electra-export")
    if any("@" in s for s in systems) and not args.electra_export:
        parser.error("electra@FORMAT needs --electra-export (with its formats converted)")
    options = HarnessOptions(
        crf_config=args.crf_config,
        crf_tokenizer=parse_options(args.crf_tokenizer),
        electra_start_point=absolute_start_point(args.electra_start_point),
        electra_export=str(Path(args.electra_export[0]).resolve()) if args.electra_export else None,
        electra_seed_exports=tuple(str(Path(e).resolve()) for e in args.electra_export or [])
        if len(args.electra_export or []) > 1
        else (),
        electra_epochs=2 if args.quick else args.electra_epochs,
        electra_min_train_steps=0 if args.quick else defaults.MIN_TRAIN_STEPS,
        electra_learning_rate=3e-3 if args.quick else args.electra_learning_rate,
        electra_max_seq_length=32 if args.quick else 128,
        diet_epochs=parse_ints(args.diet_epochs)
        if args.diet_epochs
        else ((2,) if args.quick else HarnessOptions().diet_epochs),
        electra_entity_map=parse_entity_map(args.electra_entity_map),
        electra_o_bias=args.electra_o_bias,
        electra_average_seeds=1 if args.quick else None,
        spacy_config=args.spacy_config.resolve(),
        spacy_overrides=QUICK_SPACY if args.quick else {},
    )
    results = evaluate_systems(
        train.resolve(), test.resolve(), systems, 1 if args.quick else args.trials,
        args.out.resolve(), options, args.seed,
        limit_train=60 if args.quick else None, limit_test=30 if args.quick else None,
        dev_file=dev.resolve() if dev else None,
    )  # fmt: skip
    paths = write_report(results, args.out, args.title)
    print((args.out / "results.md").read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(p) for p in paths))
    if args.scoreboard:
        from rasa_electra.evaluation.scoreboard import append_record, make_record

        command = "rasa-electra evaluate " + shlex.join(sys.argv[1:] if argv is None else argv)
        run = args.run or args.out.name
        append_record(
            args.scoreboard, make_record(results, run, command, args.title, note=args.note)
        )
        print(f"recorded run {run!r} in {args.scoreboard}")
    return 0


def parse_options(text: str | None) -> dict[str, object]:
    """``dictionary=sudachi,normalization=null`` → {"dictionary": "sudachi", "normalization":
    None}: each value read as YAML."""
    import yaml

    pairs = key_values(text or "", "--crf-tokenizer")
    return {key: yaml.safe_load(value) for key, value in pairs}


def parse_ints(text: str) -> tuple[int, ...]:
    """``10,20`` → (10, 20)."""
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise SystemExit(f"expected comma-separated whole numbers, got {text!r}") from None


if __name__ == "__main__":
    sys.exit(main())
