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
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # TensorFlow's info lines drown the progress

from rasa_electra import defaults
from rasa_electra.cli import add_formats_option, convert_if_asked

CHECKPOINTS = "checkpoints"  # under --out: each trial's epoch states, gone once the run is whole


def main(argv: list[str] | None = None) -> int:
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
    parser.add_argument("--epochs", type=int, default=defaults.EPOCHS)
    parser.add_argument("--batch-size", type=int, default=defaults.BATCH_SIZE)
    parser.add_argument("--learning-rate", type=float, default=defaults.LEARNING_RATE)
    parser.add_argument("--max-seq-length", type=int, default=defaults.MAX_SEQ_LENGTH)
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of the first trial (then +1, +2…)"
    )
    parser.add_argument("--trials", type=int, default=1)
    parser.add_argument(
        "--init-seed", type=int,
        help="seed of the new weights (the classifier head), the same for every trial; by "
        "default each trial draws its own from --seed. Runs that share it start from the same "
        "weights, so `rasa-electra soup` can average them safely",
    )  # fmt: skip
    parser.add_argument(
        "--new-head", action="store_true",
        help="start every head row fresh, ignoring the entity head an encoder directory carries "
        "(the shipped encoder's: make adapt-encoder); an export's head rows are kept regardless",
    )  # fmt: skip
    parser.add_argument(
        "--continue-scores", action="store_true",
        help="start the CRF's transitions and the word-feature tables from the start point's "
        "head too (an export's, or the shipped encoder's), for the tags and values it knows",
    )  # fmt: skip
    parser.add_argument(
        "--label-scheme", choices=defaults.LABEL_SCHEMES, default=defaults.LABEL_SCHEME
    )
    parser.add_argument("--layerwise-lr-decay", type=float, help="e.g. 0.8; off by default")
    parser.add_argument("--dropout", type=float, help="override the start point's dropout")
    parser.add_argument(
        "--keep-layers", type=int,
        help="fine-tune only the start point's first N encoder layers (a faster student)",
    )  # fmt: skip
    parser.add_argument("--warmup-ratio", type=float, default=defaults.WARMUP_RATIO)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--patience", type=int, help="stop after this many epochs without dev gain")
    add_formats_option(parser)
    parser.add_argument(
        "--average-last", type=int, default=0,
        help="also score the mean of the last N epochs' weights on dev; keep it if better",
    )  # fmt: skip
    parser.add_argument(
        "--keep-last", action="store_true",
        help="keep the last epoch's weights, as trainable mode (no dev) does; dev only scores",
    )  # fmt: skip
    parser.add_argument(
        "--no-length-bucketing", action="store_true",
        help="batch windows in plain shuffled order (more padding; for comparison)",
    )  # fmt: skip
    parser.add_argument(
        "--head", choices=defaults.HEADS, default=defaults.HEAD,
        help="crf: a linear-chain CRF over word tags, its transitions exported",
    )  # fmt: skip
    parser.add_argument(
        "--word-features", default=",".join(defaults.WORD_FEATURES),
        help="comma-separated word features added to the tagger (pos, pos-1, pos+1, shape)",
    )  # fmt: skip
    parser.add_argument(
        "--words", metavar="DICTIONARY[:SPLIT_MODE]",
        help="segment words with this dictionary instead of the start point's own, e.g. "
        "sudachi:B or unidic_lite (the start point's normalization is kept)",
    )  # fmt: skip
    parser.add_argument(
        "--head-learning-rate", type=float, default=5e-3,
        help="peak rate of the CRF scores and word-feature tables",
    )  # fmt: skip
    parser.add_argument(
        "--entity-memory", type=float, default=defaults.ENTITY_MEMORY or 0.0, metavar="SHARE",
        help="relabel a decoded span by the training data's label for its text when that "
        "label has at least this share (data.entity_memory); 0: off",
    )  # fmt: skip
    parser.add_argument(
        "--o-bias", type=float, default=defaults.O_BIAS,
        help="added to O's log-probability when dev and test are decoded (data.viterbi); 0: none",
    )  # fmt: skip
    parser.add_argument("--eval-every", type=int, default=1, help="score dev every N epochs")
    parser.add_argument("--limit", type=int, help="use only the first N training examples")
    parser.add_argument(
        "--distribute", default="none",
        help="tf.distribute strategy: none, mirrored (all local GPUs), multi-worker (TF_CONFIG), "
        "tpu or tpu:ADDRESS; --batch-size is the global batch, split over replicas",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from rasa_electra.model import DataLoader, model_spec, ner
    from rasa_electra.tokenization.segmenters import settings_named, word_segmenter

    paths = {
        s: getattr(args, s) or (args.data / f"{s}.yml" if args.data else None)
        for s in ("train", "dev", "test")
    }
    missing = [s for s, p in paths.items() if p is None or not p.is_file()]
    if missing:
        parser.error(f"no {'/'.join(missing)} data: give --data DIR or --{missing[0]} FILE")
    if args.random_init and not args.vocab:
        parser.error("--random-init needs --vocab DIR (a folder with vocab.txt)")
    from rasa_electra.model.training import TrainingConfig

    try:  # the options the config refuses together, refused before any data is read
        TrainingConfig(keep_last=args.keep_last, average_last=args.average_last)
    except ValueError as error:
        parser.error(str(error))
    if args.random_init:
        candidates = [f"random-init:{args.random_init}:{args.vocab}", *args.fallback]
    else:
        candidates = [args.start_point, *args.fallback]
    spec = model_spec.first_usable(
        candidates, args.max_seq_length, args.label_scheme,
        report=lambda line: print(line, file=sys.stderr),
    )  # fmt: skip
    if spec is None:
        print("error: no usable start point", file=sys.stderr)
        return 2
    if args.new_head and spec.kind == "hf-directory":
        spec.entity_head = False
    if args.words:
        normalization = spec.tokenizer.normalization
        spec.tokenizer.use_words(word_segmenter(settings_named(args.words, normalization)))
    print(f"start point: {spec.source} ({spec.kind}), words {spec.tokenizer.words.settings()}")
    train = DataLoader.from_rasa_yaml(paths["train"], spec)
    if args.limit:
        train = DataLoader(train.examples[: args.limit], spec)
    dev = DataLoader.from_rasa_yaml(paths["dev"], spec)
    test = DataLoader.from_rasa_yaml(paths["test"], spec)

    options = dict(
        warmup_ratio=args.warmup_ratio, weight_decay=args.weight_decay,
        layerwise_lr_decay=args.layerwise_lr_decay, dropout=args.dropout,
        keep_layers=args.keep_layers, patience=args.patience,
        average_last=args.average_last, keep_last=args.keep_last, init_seed=args.init_seed,
        distribute=args.distribute, length_bucketing=not args.no_length_bucketing,
        eval_every=args.eval_every, head=args.head, head_learning_rate=args.head_learning_rate,
        continue_scores=args.continue_scores,
        word_features=tuple(f.strip() for f in args.word_features.split(",") if f.strip()),
        entity_memory=args.entity_memory or None,
        o_bias=args.o_bias,
    )  # fmt: skip
    checkpoints = args.out / CHECKPOINTS
    trials = ner.run_trials(
        train, dev, test, args.trials, args.seed, model_spec=spec, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate, checkpoints=checkpoints,
        **options,
    )  # fmt: skip

    results = {
        "start_point": spec.describe(),
        "data": {s: str(p) for s, p in paths.items()},
        "train_examples": len(train),
        "hyperparameters": trials.best.config.as_dict(),
        "trials": trials.records,
        "dev": trials.summary("dev"),
        "test": trials.summary("test"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    trials.best.export(
        args.out / "export",
        data=results["data"],
        trials_summary={"dev": results["dev"]["micro"], "test": results["test"]["micro"]},
    )
    convert_if_asked(args, args.out / "export", dev.examples)
    shutil.rmtree(checkpoints, ignore_errors=True)  # the run is whole: nothing to resume
    for split in ("dev", "test"):
        m = results[split]["micro"]
        print(
            f"{split}: P {100 * m['precision']['mean']:.2f} ± {100 * m['precision']['std']:.2f}  "
            f"R {100 * m['recall']['mean']:.2f} ± {100 * m['recall']['std']:.2f}  "
            f"F1 {100 * m['f1']['mean']:.2f} ± {100 * m['f1']['std']:.2f}  ({args.trials} trial(s))"
        )
    print(f"wrote {args.out}/results.json and the best-dev trial's export in {args.out}/export")
    return 0


if __name__ == "__main__":
    sys.exit(main())
