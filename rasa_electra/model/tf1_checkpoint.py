"""Read a google-research/electra TensorFlow 1 checkpoint into transformers' TF ELECTRA classes.

The original write-up pretrained with google-research/electra, which saves ``model.ckpt-N.*``
with variables named like ``electra/encoder/layer_0/attention/self/query/kernel``. Those are the
TF2 transformers names with the model prefix, ``:0`` and the ``layer_._N`` spelling removed, so
the conversion is a name mapping plus a shape check — in-process, no torch, no files written.
The generator and the discriminator's pretraining head are ignored; the token-classification
head starts fresh.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

# google-research/electra's model sizes (configure_pretraining.py); heads cannot be read off shapes
HEADS_BY_HIDDEN = {256: 4, 768: 12, 1024: 16}


def find_checkpoint(directory: Path) -> str | None:
    """The newest checkpoint prefix in ``directory`` (via its ``checkpoint`` file or by step)."""
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(directory))
    if latest:
        return latest
    steps = []
    for index in directory.glob("*.ckpt*.index"):
        match = re.search(r"-(\d+)$", index.stem)
        steps.append((int(match.group(1)) if match else -1, str(index.with_suffix(""))))
    return max(steps)[1] if steps else None


def tf1_name(tf2_name: str) -> str:
    """``tf_electra_for_token_classification/electra/encoder/layer_._0/…:0`` → TF1 name."""
    name = tf2_name.split("/", 1)[1].removesuffix(":0")
    name = re.sub(r"layer_\._(\d+)", r"layer_\1", name)
    return re.sub(r"_embeddings/(weight|embeddings)$", "_embeddings", name)


def electra_config_values(checkpoint: str, directory: Path) -> dict[str, object]:
    """ElectraConfig arguments read off the variable shapes (heads from hparams.json if given)."""
    import tensorflow as tf

    shapes = dict(tf.train.list_variables(checkpoint))
    try:
        vocab_size, embedding_size = shapes["electra/embeddings/word_embeddings"]
    except KeyError as error:
        raise ValueError(
            f"{checkpoint} has no electra/embeddings/word_embeddings variable"
        ) from error
    layers = {
        int(m.group(1)) for n in shapes if (m := re.match(r"electra/encoder/layer_(\d+)/", n))
    }
    hidden = shapes["electra/encoder/layer_0/attention/self/query/kernel"][1]
    hparams = _hparams(directory)
    overrides = hparams.get("model_hparam_overrides", {})
    heads = overrides.get("num_attention_heads") or HEADS_BY_HIDDEN.get(
        hidden, max(1, hidden // 64)
    )
    return {
        "vocab_size": vocab_size,
        "embedding_size": embedding_size,
        "hidden_size": hidden,
        "num_hidden_layers": len(layers),
        "num_attention_heads": heads,
        "intermediate_size": shapes["electra/encoder/layer_0/intermediate/dense/kernel"][1],
        "max_position_embeddings": shapes["electra/embeddings/position_embeddings"][0],
        "type_vocab_size": shapes["electra/embeddings/token_type_embeddings"][0],
    }


def _hparams(directory: Path) -> dict:
    path = directory / "hparams.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def load_weights(model, checkpoint: str) -> list[str]:
    """Assign every encoder weight of a built TF model from the checkpoint; return what stays new.

    Raises if an encoder weight is missing or has another shape: a partly loaded encoder would
    train without complaint and silently be worse.
    """
    import tensorflow as tf

    reader = tf.train.load_checkpoint(checkpoint)
    fresh = []
    for weight in model.weights:
        name = tf1_name(weight.name)
        if not name.startswith("electra/"):
            fresh.append(weight.name)  # the new classification head
            continue
        if not reader.has_tensor(name):
            raise ValueError(f"{checkpoint} lacks {name} (needed for {weight.name})")
        value = reader.get_tensor(name)
        if tuple(value.shape) != tuple(weight.shape):
            raise ValueError(
                f"{name}: checkpoint shape {value.shape} != model shape {weight.shape}"
            )
        weight.assign(np.asarray(value, dtype=weight.dtype.as_numpy_dtype))
    return fresh
