"""A fine-tuned export's encoder written back in the shipped encoder's layout.

The silver stage of self-training (``make -f lab/Makefile self-training``: one epoch on 50,000
Wikipedia sentences the CRF labelled) teaches the pretrained encoder Japanese entities.
Trainable mode and every bot start from ``pretrained/``, which holds one model, as float16
safetensors with PyTorch names. ``adapt_encoder`` puts the export's encoder there:

* every ``electra.*`` tensor comes from the export, and each one must be there (an export cut to
  fewer layers is refused);
* the discriminator's replaced-token head is kept from the encoder the export started from, so a
  GPU lease can still resume pretraining from the shipped folder;
* the export's classifier is kept beside it as the folder's entity head (``HEAD_FILE``):
  fine-tuning on labels it knows continues from its rows (``ModelSpec.continues_head``), and
  other labels get new rows; the export's transitions and word-feature tables come with it
  (``HEAD_SCORE_FILES``, read by ``head.continue_scores``);
* the card keeps the pretraining record and adds ``adaptation``: what adapted it, its dev score,
  and the commit whose ``pretrained/`` still holds the weights before it.

numpy, safetensors and the export's variables only.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from lab.pretraining import ship
from rasa_electra.data.viterbi import TRANSITIONS_FILE
from rasa_electra.model.export import CARD_FILE, TOKENIZER_DIR, read_labels
from rasa_electra.model.head import HEAD_FILE, write_head
from rasa_electra.model.model_spec import SAFETENSORS_FILE, file_sha256
from rasa_electra.model.weights import StartPointError, export_variables
from rasa_electra.model.word_features import FEATURES_FILE

ENCODER_PREFIX = "electra."
# the head's scores beside its classifier: a CRF head's transitions and the word-feature tables
HEAD_SCORE_FILES = (TRANSITIONS_FILE, FEATURES_FILE)


def pytorch_layout(variables: dict[str, Any], export_dir: Path) -> dict[str, np.ndarray]:
    """The export's encoder tensors under their PyTorch names (dense kernels transposed); the
    classifier is left out (``write_head`` keeps it)."""
    from transformers.modeling_tf_pytorch_utils import (
        TransposeType,
        convert_tf_weight_name_to_pt_weight_name,
    )

    tensors = {}
    for name, variable in variables.items():
        if name.startswith("classifier"):
            continue
        array = np.asarray(variable)
        pt_name, transpose = convert_tf_weight_name_to_pt_weight_name(
            f"model/{name}", start_prefix_to_remove="", tf_weight_shape=array.shape
        )
        if transpose is TransposeType.SIMPLE:
            array = array.T
        elif transpose is not TransposeType.NO:
            raise StartPointError(f"{export_dir}: {name} is not a dense or embedding weight")
        tensors[pt_name] = np.ascontiguousarray(array)
    return tensors


# what the silver stage learned from, beside the pretraining corpus the card already names: the
# weights derive from both, so they are shared under the same terms
SELF_TRAINING_LICENCES = (
    {"text": "UD_Japanese-GSD NE: the CRF teacher's training data and the dev split scored",
     "licence": "CC BY-SA 4.0"},
    {"text": "Japanese Wikipedia (NICT Kyoto articles): the silver sentences",
     "licence": "CC BY-SA 3.0"},
)  # fmt: skip


def adaptation_record(card: dict[str, Any], export_dir: Path, pretrained: str,
                      commit: str | None) -> dict[str, Any]:  # fmt: skip
    """What the card says about the adaptation: enough to rebuild it and to find the weights
    before it (``pretraining_commit``'s ``pretrained/``, checked by ``pretraining_sha256``)."""
    dev = card.get("scores", {}).get("dev", {}).get("micro", {})
    return {
        "what": "encoder fine-tuned for entities (self-training's silver stage); its head is "
        f"{HEAD_FILE}",
        "export": str(export_dir),
        "data": card.get("data", {}),
        "data_licences": list(SELF_TRAINING_LICENCES),
        "hyperparameters": card.get("hyperparameters", {}),
        "epochs_run": card.get("training", {}).get("epochs_run"),
        "dev_f1": dev.get("f1"),
        "date": card.get("date"),
        "pretraining_commit": commit,
        "pretraining_sha256": pretrained,
    }


def adapt_encoder(
    export_dir: str | Path, base_dir: str | Path, out_dir: str | Path, commit: str | None = None
) -> Path:
    """Write ``export_dir``'s encoder as a start point at ``out_dir`` (which may be
    ``base_dir``): ``base_dir`` is the pretrained encoder the export was fine-tuned from, giving
    the layout, the vocabulary, the replaced-token head and the pretraining card."""
    export_dir, base_dir, out_dir = Path(export_dir), Path(base_dir), Path(out_dir)
    base_card = json.loads((base_dir / ship.CARD_FILE).read_text(encoding="utf-8"))
    earlier = base_card.get("adaptation")
    if earlier:
        raise StartPointError(
            f"{base_dir} is adapted already (from {earlier.get('export')}): adapt the "
            f"pretrained weights, which commit {earlier.get('pretraining_commit')} holds"
        )
    vocab = (base_dir / "vocab.txt").read_bytes()
    if (export_dir / TOKENIZER_DIR / "vocab.txt").read_bytes() != vocab:
        raise StartPointError(f"{export_dir} was not cut with {base_dir}'s vocabulary")
    card = json.loads((export_dir / CARD_FILE).read_text(encoding="utf-8"))
    pretrained = file_sha256(base_dir / SAFETENSORS_FILE)
    started = card.get("start_point", {}).get("weights_sha256")
    if started != pretrained:
        raise StartPointError(
            f"{export_dir} was not fine-tuned from {base_dir}'s weights "
            f"(its card: {started or 'no weights hash'}; {base_dir}: {pretrained})"
        )
    base = load_file(str(base_dir / SAFETENSORS_FILE))
    variables = export_variables(export_dir)
    adapted = pytorch_layout(variables, export_dir)
    encoder = {name for name in base if name.startswith(ENCODER_PREFIX)}
    missing, extra = sorted(encoder - set(adapted)), sorted(set(adapted) - encoder)
    if missing or extra:
        raise StartPointError(
            f"{export_dir} does not fit {base_dir}: missing {missing[:3]} "
            f"({len(missing)}), unknown {extra[:3]} ({len(extra)})"
        )
    for name, array in adapted.items():
        if array.shape != base[name].shape:
            raise StartPointError(f"{export_dir}: {name} is {array.shape}, not {base[name].shape}")
    weights = {
        name: (adapted[name] if name in encoder else array).astype(array.dtype)
        for name, array in base.items()
    }
    record = adaptation_record(card, export_dir, pretrained, commit)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent) as scratch:
        staged = Path(scratch) / "encoder"
        staged.mkdir()
        save_file(weights, str(staged / SAFETENSORS_FILE), metadata={"format": "pt"})
        size = (staged / SAFETENSORS_FILE).stat().st_size
        if size > ship.MAX_BYTES:
            raise StartPointError(f"the adapted encoder is {size} bytes, over {ship.MAX_BYTES}")
        kernel, bias = (variables[f"classifier/{n}"] for n in ("kernel", "bias"))
        write_head(staged, read_labels(export_dir), kernel, bias)
        for name in HEAD_SCORE_FILES:  # keyed by the head's tags, as in the export
            if (export_dir / name).is_file():
                shutil.copy2(export_dir / name, staged / name)
        for name in ship.COPIED:
            if (base_dir / name).is_file():
                shutil.copy2(base_dir / name, staged / name)
        text = json.dumps({**base_card, "adaptation": record}, indent=2, ensure_ascii=False)
        (staged / ship.CARD_FILE).write_text(text + "\n", encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)  # one shipped model at a time
        shutil.move(str(staged), str(out_dir))
    return out_dir
