"""Score exports under each decoding on one data split, without retraining.

    python -m lab score-decoding --export results/a/export --export results/b/export \
        --data data/gsd_v2.6-NE/dev.yml --out results/decoding-dev.json

The model runs once per export; its word probabilities (with the export's word features) are
then decoded each way (per-word argmax with the conlleval reading, constrained Viterbi, and
Viterbi with the export's learned transitions when it has them), and each decoding again with
the export's entity memory relabelling its spans when it has one (``+memory``), each at every
``--o-bias`` (``+o_bias<B>``; none for 0), so the figures differ by decoding alone. With several
exports (one per seed) it reports each and the mean ± std.

``--backend`` runs the model on one of the export's formats instead of the SavedModel: ``auto``
is what the component serves. ``--export`` may name a Rasa model archive: the ELECTRA export
``rasa train`` kept in it is unpacked and scored. A trainable-mode archive's export holds only
its converted formats, so it is scored with ``--backend auto``, as Rasa serves it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from itertools import product
from pathlib import Path

from rasa_electra import defaults
from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.data.span_metrics import score_spans, summarize_trials
from rasa_electra.data.viterbi import check_o_bias
from rasa_electra.model import features
from rasa_electra.model.export import CARD_FILE, ExportError
from rasa_electra.serving import backends
from rasa_electra.serving.servable import Servable


def decoders(model: Servable) -> dict:
    """The decodings to compare for this export, by name (each without an O bias)."""
    plain = replace(model.decoder, o_bias=0.0)
    chosen = {"argmax": replace(plain, method="argmax", transitions=None)}
    chosen["viterbi"] = replace(plain, method="viterbi", transitions=None)
    if plain.transitions is not None:
        chosen["viterbi+learned"] = replace(plain, method="viterbi")
    return chosen


def archived_export(archive: Path, scratch: Path) -> Path:
    """The ELECTRA export inside a Rasa model archive, unpacked into ``scratch``."""
    from rasa_electra.components.electra_entity_extractor import EXPORT_SUBDIR

    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        cards = [m.name for m in members if m.name.endswith(f"/{EXPORT_SUBDIR}/{CARD_FILE}")]
        if len(cards) != 1:
            raise ExportError(f"{archive}: {len(cards)} ELECTRA exports in it, one expected")
        prefix = cards[0][: -len(CARD_FILE)]
        inside = [m for m in members if m.name.startswith(prefix) and ".." not in m.name]
        tar.extractall(scratch, members=inside)  # their names were checked above
    return scratch / prefix


def score_export(
    directory: Path,
    gold,
    batch_size: int = 32,
    o_biases: Sequence[float] = (0.0,),
    backend: str = "savedmodel",
    quantization: str = "none",
) -> dict[str, dict]:
    """Per decoding, memory and O bias, the micro and per-label scores of one export on
    ``gold``, its model run by ``backend`` (``serving.backends.load``)."""
    model = backends.load(directory, backend, quantization)
    encoded = features.encode(gold, model.tokenizer, None, model.max_seq_length)
    pad = model.tokenizer.pieces.pad_token_id
    probs = features.word_probabilities(encoded, len(model.labels), model.run, batch_size, pad)
    memories = {"": None, "+memory": model.memory} if model.memory else {"": None}
    scores = {}
    for (name, decoder), (suffix, memory), bias in product(
        decoders(model).items(), memories.items(), o_biases
    ):
        biased = replace(decoder, o_bias=bias)
        predicted = [
            features.decode_words(
                example, tokenized, word_probs, biased, model.word_features, memory
            )
            for example, tokenized, word_probs in zip(gold, encoded.tokenized, probs, strict=True)
        ]
        result = score_spans(gold, predicted)
        scores[name + suffix + (f"+o_bias{bias:g}" if bias else "")] = {
            "micro": result.micro.as_dict(),
            "per_label": {label: s.as_dict() for label, s in result.per_label.items()},
        }
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--export", type=Path, action="append", required=True,
        help="an export directory, or a Rasa model archive (.tar.gz) holding one",
    )  # fmt: skip
    parser.add_argument("--data", type=Path, required=True, help="Rasa NLU YAML, gold entities")
    parser.add_argument(
        "--o-bias", default=f"0,{defaults.O_BIAS:g}",
        help="comma-separated O biases (data.viterbi.Decoder) to decode each way at",
    )  # fmt: skip
    parser.add_argument(
        "--backend", default="savedmodel",
        choices=["savedmodel", backends.AUTO, *backends.RUNTIMES],
        help="the runtime the model's probabilities come from; auto: the component's choice",
    )  # fmt: skip
    parser.add_argument("--quantization", default="none", help="of a converted format")
    parser.add_argument("--out", type=Path, help="write every score as JSON here")
    args = parser.parse_args(argv)
    try:
        o_biases = [check_o_bias(float(b)) for b in args.o_bias.split(",") if b.strip()]
    except ValueError as error:
        parser.error(f"--o-bias {args.o_bias}: {error}")
    gold = read_rasa_data(args.data)
    per_export = {}
    with tempfile.TemporaryDirectory() as scratch:
        try:
            for k, path in enumerate(args.export):
                directory = path
                if path.is_file() and tarfile.is_tarfile(path):
                    directory = archived_export(path, Path(scratch) / str(k))
                per_export[str(path)] = score_export(
                    directory, gold, o_biases=o_biases, backend=args.backend,
                    quantization=args.quantization,
                )  # fmt: skip
        except ExportError as error:
            parser.error(str(error))
    names = sorted({name for scores in per_export.values() for name in scores})
    summary = {}
    for name in names:
        trials = [scores[name] for scores in per_export.values() if name in scores]
        summary[name] = summarize_trials(trials)["micro"]
        f1 = summary[name]["f1"]
        print(
            f"{name:>16}: F1 {100 * f1['mean']:.2f} ± {100 * f1['std']:.2f} "
            f"({len(trials)} export(s)); per export: "
            + ", ".join(f"{100 * t['micro']['f1']:.2f}" for t in trials)
        )
    if args.out:
        report = {"data": str(args.data), "exports": per_export, "summary": summary}
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
