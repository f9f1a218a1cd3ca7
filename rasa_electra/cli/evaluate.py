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

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no reports to Rasa's servers

from rasa.shared.exceptions import RasaException

from rasa_electra.cli import key_values, parse_entity_map
from rasa_electra.components.electra_config import (
    TRAINABLE_ONLY,
    add_component_arguments,
    component_keys,
)
from rasa_electra.evaluation.systems import (
    SYSTEMS,
    CrfOptions,
    DietOptions,
    SpacyOptions,
    SystemOptions,
    build_systems,
)
from rasa_electra.settings import add_arguments

# --quick: spaCy's loop stops after a few steps instead of its patience of 1,600
QUICK_SPACY = {"training.max_steps": 60, "training.eval_frequency": 20}
# --quick: trainable ELECTRA's keys for a smoke test (a few sentences, short training)
QUICK_ELECTRA = {"epochs": 2, "min_train_steps": 0, "learning_rate": 3e-3, "max_seq_length": 32,
                 "average_seeds": 1}  # fmt: skip
# the component keys a harness run may set for ELECTRA (--electra-KEY); unset: its defaults
ELECTRA_KEYS = ("epochs", "min_train_steps", "max_train_steps", "average_last_epochs",
                "learning_rate", "train_batch_size", "max_seq_length", "average_seeds", "o_bias",
                "entity_memory", "align_labels", "freeze_layers", "word_features",
                "head_learning_rate")  # fmt: skip


def absolute_start_point(source: str | None) -> str | None:
    """Rasa runs in a work folder per trial, so local paths must not be relative."""
    if source is None:
        return None
    if source.startswith("random-init:"):
        _, size, vocab = source.split(":", 2)
        return f"random-init:{size}:{Path(vocab).resolve()}"
    return str(Path(source).resolve()) if Path(source).exists() else source  # else a hub id


def parser() -> argparse.ArgumentParser:
    """The run's own flags, then each system's, generated from its options (and ELECTRA's from
    the component keys that declare them)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="folder with train.yml and test.yml")
    parser.add_argument("--train", type=Path)
    parser.add_argument("--test", type=Path)
    parser.add_argument("--dev", type=Path, help="for choices made on dev (default: DATA/dev.yml)")
    parser.add_argument(
        "--systems", default="crf,electra",
        help="comma-separated, any of: " + "; ".join(f"{n} ({w})" for n, w in SYSTEMS.items())
        + "; and electra@FORMAT (e.g. electra@tflite-dynamic: the export on a converted "
        "format, made by rasa-electra export-formats)",
    )  # fmt: skip
    parser.add_argument(
        "--trials", type=int, default=1, help="seeds per stochastic system (diet, spacy, "
        "electra fine-tuned in `rasa train`); deterministic ones run once"
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--quick", action="store_true",
        help="60 train / 30 test sentences, 1 trial, one ELECTRA seed (no soup)",
    )  # fmt: skip
    parser.add_argument("--title", default="Entity extraction through Rasa")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--models", type=Path,
        help="where trained models are kept and reused (default: OUT/models): an earlier run's, "
        "to score its models on another test file (a dev run's, for the test read) untrained",
    )  # fmt: skip
    parser.add_argument("--scoreboard", type=Path, help="append this run's record here")
    parser.add_argument("--run", help="the run's name in the scoreboard (default: --out's name)")
    parser.add_argument("--note", default="", help="what a reader of the record must know")
    electra = parser.add_argument_group("electra (ElectraEntityExtractor)")
    electra.add_argument("--electra-start-point", help="fine-tuned inside `rasa train`")
    electra.add_argument(
        "--electra-export", action="append",
        help="an export from rasa-electra finetune (model_path mode); repeat it with the same "
        "recipe's exports of other seeds to score one trial per export",
    )  # fmt: skip
    electra.add_argument(
        "--electra-entity-map",
        help="the component's entity_map, e.g. GPE=place,LOC=place,DATE=date (labels left out "
        "are dropped; with an export as start point it also seeds the new labels' rows)",
    )  # fmt: skip
    add_component_arguments(electra, ELECTRA_KEYS, "electra_")
    crf = parser.add_argument_group("crf and crf-rasa")
    add_arguments(crf, CrfOptions, "crf_")
    crf.add_argument(
        "--crf-tokenizer", help="the CRF config's tokenizer options replaced, e.g. "
        "dictionary=sudachi,split_mode=C (values read as YAML: null, true, 3)"
    )  # fmt: skip
    add_arguments(
        parser.add_argument_group("diet"), DietOptions, "diet_", defaults={"epochs": None}
    )
    add_arguments(parser.add_argument_group("spacy"), SpacyOptions, "spacy_")
    return parser


def main(argv: list[str] | None = None) -> int:
    command = parser()
    args = command.parse_args(argv)
    from rasa_electra.evaluation.harness import evaluate_systems
    from rasa_electra.evaluation.report import write_report

    train, test, dev = data_files(command, args)
    try:
        systems = build_systems([s.strip() for s in args.systems.split(",") if s.strip()],
                                system_options(args))  # fmt: skip
    except (ValueError, RasaException) as error:
        command.error(str(error))
    results = evaluate_systems(
        train.resolve(), test.resolve(), systems, 1 if args.quick else args.trials,
        args.out.resolve(), args.seed, limit_train=60 if args.quick else None,
        limit_test=30 if args.quick else None, dev_file=dev.resolve() if dev else None,
        models_dir=args.models.resolve() if args.models else None,
    )  # fmt: skip
    paths = write_report(results, args.out, args.title)
    print((args.out / "results.md").read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(p) for p in paths))
    if args.scoreboard:
        record(args, results, argv)
    return 0


def data_files(command: argparse.ArgumentParser, args: argparse.Namespace):
    """train, test and dev: each its own flag, else ``--data``'s file of that name."""
    train = args.train or (args.data / "train.yml" if args.data else None)
    test = args.test or (args.data / "test.yml" if args.data else None)
    dev = args.dev or (args.data / "dev.yml" if args.data else None)
    if not train or not test or not train.is_file() or not test.is_file():
        command.error("give --data DIR (with train.yml and test.yml) or --train FILE --test FILE")
    if dev is not None and not dev.is_file():
        command.error(f"no dev file at {dev}")
    return train, test, dev


def system_options(args: argparse.Namespace) -> SystemOptions:
    """Each system's options from the flags; --quick shortens what trains."""
    keys = component_keys(args, ELECTRA_KEYS, "electra_")
    if args.electra_entity_map:
        entity_map = parse_entity_map(args.electra_entity_map, "--electra-entity-map")
        keys = {"entity_map": entity_map, **keys}
    if args.quick:
        keys = {**keys, **QUICK_ELECTRA}
    if args.electra_export:  # an export is served as it is: trainable mode's keys do not apply
        keys = {k: v for k, v in keys.items() if k not in TRAINABLE_ONLY}
    diet = args.diet_epochs or ((2,) if args.quick else DietOptions().epochs)
    return SystemOptions(
        crf=CrfOptions.from_arguments(args, "crf_", tokenizer=parse_options(args.crf_tokenizer)),
        diet=DietOptions(epochs=diet),
        spacy=SpacyOptions.from_arguments(
            args,
            "spacy_",
            config=args.spacy_config.resolve(),
            overrides=QUICK_SPACY if args.quick else {},
        ),
        electra_exports=tuple(str(Path(e).resolve()) for e in args.electra_export or ()),
        electra_start_point=absolute_start_point(args.electra_start_point),
        electra_keys=keys,
    )


def record(args: argparse.Namespace, results: dict, argv: list[str] | None) -> None:
    """Append the run's record, with its command, to the scoreboard."""
    from rasa_electra.evaluation.scoreboard import append_record, make_record

    command = "rasa-electra evaluate " + shlex.join(sys.argv[1:] if argv is None else argv)
    run = args.run or args.out.name
    append_record(args.scoreboard, make_record(results, run, command, args.title, note=args.note))
    print(f"recorded run {run!r} in {args.scoreboard}")


def parse_options(text: str | None) -> dict[str, object]:
    """``dictionary=sudachi,normalization=null`` → {"dictionary": "sudachi", "normalization":
    None}: each value read as YAML."""
    import yaml

    pairs = key_values(text or "", "--crf-tokenizer")
    return {key: yaml.safe_load(value) for key, value in pairs}


if __name__ == "__main__":
    sys.exit(main())
