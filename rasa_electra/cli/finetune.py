"""Fine-tune ELECTRA (or any BERT-family encoder) for Japanese NER; N seeds, mean ± std.

    python -m rasa_electra.cli.finetune --start-point path/to/electra --data data/gsd_v2.6-NE \
        --epochs 3 --batch-size 16 --learning-rate 1e-4 --max-seq-length 128 --trials 5 \
        --out results/electra-gsd

    rasa-electra finetune --random-init small --vocab models/vocab-gsd ...   # untrained

    rasa-electra finetune ... --distribute mirrored     # every local GPU (tf.distribute)

    # the hub model when it can be had, else the local pretraining output, else untrained
    python -m rasa_electra.cli.finetune --start-point electra-small-japanese \
        --fallback models/electra-small-ja/discriminator \
        --fallback random-init:small:models/vocab-gsd-8k ...

Each trial selects its epoch on dev and is evaluated on test once, at the end. ``results.json``
holds every trial and the mean ± std; the trial with the best dev F1 is exported to
``<out>/export`` (SavedModel + labels + tokenizer + model card). Until then each trial keeps
its state at the end of every epoch under ``<out>/checkpoints``: the same command run again
after a kill resumes there (other settings into the same ``--out`` are refused).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from rasa_electra.cli import add_formats_option, convert_if_asked
from rasa_electra.settings import add_arguments

CHECKPOINTS = "checkpoints"  # under --out: each trial's epoch states, gone once the run is whole


def parser() -> argparse.ArgumentParser:
    """The command's own flags, then one per setting of ``TrainingConfig`` and ``SpecOptions``
    (their defaults, choices and help are declared there)."""
    from rasa_electra.model.model_spec import SpecOptions
    from rasa_electra.model.training_config import TrainingConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    start = parser.add_mutually_exclusive_group(required=True)
    start.add_argument("--start-point", help="HF model dir, TF1 ELECTRA checkpoint dir or hub id")
    start.add_argument("--random-init", choices=["tiny", "small", "base"], help="untrained ELECTRA")
    parser.add_argument("--vocab", type=Path, help="folder with vocab.txt (for --random-init)")
    parser.add_argument(
        "--fallback", action="append", default=[],
        help="start point to use when the previous one cannot be had (repeatable; "
        "random-init:SIZE:VOCAB_DIR names an untrained model)",
    )  # fmt: skip
    parser.add_argument("--data", type=Path, help="folder with train.yml, dev.yml, test.yml")
    parser.add_argument("--train", type=Path)
    parser.add_argument("--dev", type=Path)
    parser.add_argument("--test", type=Path)
    parser.add_argument("--limit", type=int, help="use only the first N training examples")
    parser.add_argument("--seed", type=int, default=42, help="seed of the first trial (then +1…)")
    parser.add_argument("--trials", type=int, default=1)
    parser.add_argument(
        "--new-head", action="store_true",
        help="start every head row fresh, ignoring the entity head an encoder directory carries "
        "(the shipped encoder's); an export's head rows are kept regardless",
    )  # fmt: skip
    parser.add_argument(
        "--words", metavar="DICTIONARY[:SPLIT_MODE]",
        help="segment words with this dictionary instead of the start point's own, e.g. "
        "sudachi:B or unidic_lite (the start point's normalization is kept)",
    )  # fmt: skip
    add_formats_option(parser)
    parser.add_argument("--out", type=Path, required=True)
    add_arguments(parser.add_argument_group("the model's input"), SpecOptions)
    add_arguments(parser.add_argument_group("training"), TrainingConfig)
    return parser


def main(argv: list[str] | None = None) -> int:
    from rasa_electra.model.model_spec import SpecOptions
    from rasa_electra.model.training_config import TrainingConfig

    command = parser()
    args = command.parse_args(argv)
    paths = data_files(command, args)
    try:  # settings the config refuses (alone or together), before any data is read
        config = TrainingConfig.from_arguments(args, seed=args.seed)
        spec_options = SpecOptions.from_arguments(args)
    except ValueError as error:
        command.error(str(error))
    spec = start_point(command, args, spec_options)
    if spec is None:
        print("error: no usable start point", file=sys.stderr)
        return 2
    from rasa_electra.model import DataLoader, ner

    train = DataLoader.from_rasa_yaml(paths["train"], spec)
    if args.limit:
        train = DataLoader(train.examples[: args.limit], spec)
    dev = DataLoader.from_rasa_yaml(paths["dev"], spec)
    test = DataLoader.from_rasa_yaml(paths["test"], spec)
    checkpoints = args.out / CHECKPOINTS
    trials = ner.run_trials(
        train, dev, test, args.trials, args.seed, checkpoints=checkpoints, config=config,
        model_spec=spec,
    )  # fmt: skip
    results = write_results(args.out, spec, paths, len(train), trials)
    convert_if_asked(args, args.out / "export", dev.examples)
    shutil.rmtree(checkpoints, ignore_errors=True)  # the run is whole: nothing to resume
    print_summary(results, args.trials)
    print(f"wrote {args.out}/results.json and the best-dev trial's export in {args.out}/export")
    return 0


def data_files(command: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Path]:
    """train, dev and test: each its own flag, else ``--data``'s file of that name."""
    paths = {
        split: getattr(args, split) or (args.data / f"{split}.yml" if args.data else None)
        for split in ("train", "dev", "test")
    }
    missing = [split for split, path in paths.items() if path is None or not path.is_file()]
    if missing:
        command.error(f"no {'/'.join(missing)} data: give --data DIR or --{missing[0]} FILE")
    if args.random_init and not args.vocab:
        command.error("--random-init needs --vocab DIR (a folder with vocab.txt)")
    return paths


def start_point(command: argparse.ArgumentParser, args: argparse.Namespace, options):
    """The first usable start point of the candidates, with ``--new-head`` and ``--words``."""
    from rasa_electra.model import model_spec
    from rasa_electra.tokenization.segmenters import settings_named, word_segmenter

    if args.random_init:
        candidates = [f"random-init:{args.random_init}:{args.vocab}", *args.fallback]
    else:
        candidates = [args.start_point, *args.fallback]
    spec = model_spec.first_usable(
        candidates, options.max_seq_length, options.label_scheme,
        report=lambda line: print(line, file=sys.stderr),
    )  # fmt: skip
    if spec is None:
        return None
    if args.new_head and spec.kind == "hf-directory":
        spec.entity_head = False
    if args.words:
        normalization = spec.tokenizer.normalization
        spec.tokenizer.use_words(word_segmenter(settings_named(args.words, normalization)))
    print(f"start point: {spec.source} ({spec.kind}), words {spec.tokenizer.words.settings()}")
    return spec


def write_results(out: Path, spec, paths: dict[str, Path], train_examples: int, trials) -> dict:
    """``results.json`` (every trial, mean ± std) and the best-dev trial's export."""
    results = {
        "start_point": spec.describe(),
        "data": {split: str(path) for split, path in paths.items()},
        "train_examples": train_examples,
        "hyperparameters": trials.best.config.as_dict(),
        "trials": trials.records,
        "dev": trials.summary("dev"),
        "test": trials.summary("test"),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    trials.best.export(
        out / "export",
        data=results["data"],
        trials_summary={"dev": results["dev"]["micro"], "test": results["test"]["micro"]},
    )
    return results


def print_summary(results: dict, trials: int) -> None:
    for split in ("dev", "test"):
        m = results[split]["micro"]
        print(
            f"{split}: P {100 * m['precision']['mean']:.2f} ± {100 * m['precision']['std']:.2f}  "
            f"R {100 * m['recall']['mean']:.2f} ± {100 * m['recall']['std']:.2f}  "
            f"F1 {100 * m['f1']['mean']:.2f} ± {100 * m['f1']['std']:.2f}  ({trials} trial(s))"
        )


if __name__ == "__main__":
    sys.exit(main())
