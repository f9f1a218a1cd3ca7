"""A self-contained export directory (written here; read back by ``rasa_electra.serving``).

    <dir>/saved_model.pb, variables/   SavedModel, signature ``serving_default``:
        inputs  input_ids, input_mask, segment_ids, labeled_positions   int32 [batch, seq]
        outputs probabilities float32 [batch, seq, labels]; predictions int32 [batch, seq]
                (argmax, -1 where labeled_positions is 0: the per-word reading of a softmax
                head only; a CRF head's emissions or word features need the decoder, which
                is why every backend here reads ``probabilities`` and decodes on the host)
    <dir>/labels.json          index → label (no pickle)
    <dir>/tokenizer/           the subword vocabulary/tokenizer files + MeCab settings
    <dir>/model_card.json      start point, data, hyper-parameters, scores, date, versions
    <dir>/transitions.json     a CRF head's learned start/transition/end scores, by label
                               (absent for a softmax head: decoding uses the scheme alone)
    <dir>/word_features.json   word-feature vocabulary and learned per-tag scores, added to
                               the served probabilities on the host (absent: no features)
    <dir>/entity_memory.json   the training data's label counts per entity text, which relabel
                               a decoded span on the host (absent: no relabelling)
    <dir>/encoder_config.json  the transformers config, so the export can be a start point
                               again (continued fine-tuning; older exports lack it)
    <dir>/weights.safetensors  the weights by name, where trainable mode keeps no SavedModel
                               (``weights.write_weights``: the fused ONNX is written from them)

The input names are those of the original write-up's TF1 export, so code written against it (and
TensorFlow Serving) keeps working; its ``chunk_predictions``/``chunk_probs`` outputs are named
``predictions``/``probabilities`` here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from rasa_electra.data.entity_memory import MEMORY_FILE
from rasa_electra.data.viterbi import TRANSITIONS_FILE
from rasa_electra.model import features
from rasa_electra.model.word_features import FEATURES_FILE

SIGNATURE = "serving_default"
LABELS_FILE = "labels.json"
CARD_FILE = "model_card.json"
TOKENIZER_DIR = "tokenizer"
ENCODER_CONFIG_FILE = "encoder_config.json"
REQUIRED = ("saved_model.pb", "variables", LABELS_FILE, CARD_FILE, TOKENIZER_DIR)


class ExportError(FileNotFoundError):
    """An export directory that is missing a part or cannot be read."""


def read_labels(directory: Path) -> list[str]:
    """The export's tags in output order (``labels.json``: index → tag)."""
    table = json.loads((Path(directory) / LABELS_FILE).read_text(encoding="utf-8"))
    return [table[str(i)] for i in range(len(table))]


def serving_function(model):
    """The TF function both the in-memory model and the SavedModel run; traced without
    AutoGraph, as the training step is (no Python control flow on tensors)."""
    import tensorflow as tf

    @tf.function(input_signature=[
        tf.TensorSpec([None, None], tf.int32, name=name) for name in features.INPUT_NAMES
    ], autograph=False)  # fmt: skip
    def serve(input_ids, input_mask, segment_ids, labeled_positions):
        logits = model(
            input_ids=input_ids, attention_mask=input_mask, token_type_ids=segment_ids,
            training=False,
        ).logits  # fmt: skip
        probabilities = tf.nn.softmax(logits, axis=-1)
        predictions = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        predictions = tf.where(labeled_positions > 0, predictions, -tf.ones_like(predictions))
        return {"probabilities": probabilities, "predictions": predictions}

    return serve


def _versions() -> dict[str, str]:
    names = (
        "rasa-electra",
        "tensorflow",
        "transformers",
        "rasa",
        "fugashi",
        "ipadic",
        "tokenizers",
    )
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def write_saved_model(ner_model, directory: Path) -> None:
    """The model's SavedModel (``serving_default``) into ``directory``."""
    import tensorflow as tf

    directory.mkdir(parents=True, exist_ok=True)
    module = tf.Module()
    module.model = ner_model.model
    module.serve = serving_function(ner_model.model)
    tf.saved_model.save(module, str(directory), signatures={SIGNATURE: module.serve})


def export_saved_model(
    ner_model, directory: Path, card: dict[str, Any], saved_model: bool = True
) -> Path:
    """Write the side files and the SavedModel; returns the directory. ``saved_model=False``
    leaves the SavedModel out, for a caller that keeps the weights another way (trainable
    mode's weights file and fused ONNX, a soup's ingredients): tracing and saving it is most
    of an export's time."""
    directory.mkdir(parents=True, exist_ok=True)
    if saved_model:
        write_saved_model(ner_model, directory)
    (directory / LABELS_FILE).write_text(
        json.dumps(
            {str(i): label for i, label in enumerate(ner_model.labels)},
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    ner_model.spec.tokenizer.save(directory / TOKENIZER_DIR)
    if ner_model.transitions is not None:
        ner_model.transitions.save(directory, ner_model.labels)
    if ner_model.feature_tables is not None:
        ner_model.feature_tables.save(directory, ner_model.labels)
    if ner_model.memory is not None:
        ner_model.memory.save(directory, ner_model.labels)
    (directory / ENCODER_CONFIG_FILE).write_text(ner_model.model.config.to_json_string(), "utf-8")
    model_card = {
        "task": "token classification (Japanese named entities), MeCab words + subwords",
        "start_point": ner_model.spec.describe(),
        "labels": ner_model.labels,
        # how every backend decodes: constrained Viterbi, with transitions.json when learned
        "decoding": {"method": "viterbi", "learned_transitions": ner_model.crf is not None},
        "word_features": list(ner_model.config.word_features),
        "hyperparameters": ner_model.config.as_dict(),
        "training": {
            "epochs_run": len(ner_model.history.epochs),
            "best_epoch": ner_model.history.best_epoch,
            "chosen": ner_model.history.chosen,
            "averaged_epochs": ner_model.history.averaged_epochs,
            "seconds_per_epoch": [round(e.seconds, 1) for e in ner_model.history.epochs],
            "unrepresentable_train_entities": ner_model.unrepresentable_train,
        },
        "scores": ner_model.scores,
        "signature": {
            "name": SIGNATURE,
            "inputs": list(features.INPUT_NAMES),
            "outputs": ["probabilities", "predictions"],
            # a client of the SavedModel alone (TF Serving) must know when to ignore argmax
            "predictions": "per-word argmax of probabilities"
            + (
                "; not this model's tags: decode probabilities with transitions.json"
                " and word_features.json (rasa_electra.data.viterbi)"
                if ner_model.crf is not None or ner_model.config.word_features
                else ""
            ),
        },
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        **card,
    }
    (directory / CARD_FILE).write_text(
        json.dumps(model_card, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return directory


def check_parts(directory: Path, required: Sequence[str], what: str) -> None:
    """One error naming the directory and every missing part."""
    missing = [name for name in required if not (directory / name).exists()]
    if missing:
        raise ExportError(f"{directory} is not a complete {what}: missing {', '.join(missing)}")


SIDE_FILES = (LABELS_FILE, CARD_FILE, TOKENIZER_DIR)  # what every backend of an export reads
# kept with every backend when present: a CRF head's learned transitions, the word features'
# tables and the entity memory (a softmax head, no word features or no memory: no such file),
# and the encoder's config, which a fine-tuning that continues the export reads
OPTIONAL_SIDE_FILES = (TRANSITIONS_FILE, FEATURES_FILE, MEMORY_FILE, ENCODER_CONFIG_FILE)
