"""An encoder's weights by name: read from an export (its SavedModel, or the safetensors file a
served archive keeps instead) and written as safetensors. Names are relative to the model's own
scope, which Keras numbers per instance, so weights move between models built apart."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

SAVED_MODEL_FILE = "saved_model.pb"
# an export's weights kept beside a converted format instead of its SavedModel (float16)
WEIGHTS_FILE = "weights.safetensors"


class StartPointError(ValueError):
    """A start point that cannot be used, with what to do instead."""


def relative_name(variable_name: str) -> str:
    """A variable's name below the model's own (which Keras numbers per instance)."""
    return variable_name.split("/", 1)[-1].removesuffix(":0")


def named_weights(variables: Iterable[Any]) -> dict[str, np.ndarray]:
    """Variables' values by their name below the model's own scope
    (``electra/encoder/layer_._0/attention/self/query/kernel``, ``classifier/bias``)."""
    return {relative_name(variable.name): variable.numpy() for variable in variables}


def export_variables(directory: Path) -> dict[str, np.ndarray]:
    """An export's weights by their name below the model's (``electra/encoder/…``): its
    SavedModel's, or where the archive kept no SavedModel, its ``WEIGHTS_FILE``."""
    directory = Path(directory)
    if (directory / WEIGHTS_FILE).is_file() and not (directory / SAVED_MODEL_FILE).is_file():
        from safetensors.numpy import load_file

        stored = load_file(str(directory / WEIGHTS_FILE))
        return {name: array.astype(np.float32) for name, array in stored.items()}
    import tensorflow as tf

    return named_weights(tf.saved_model.load(str(directory)).model.variables)


def write_weights(directory: Path, model, dtype: Any = np.float16) -> Path:
    """``model``'s weights as ``WEIGHTS_FILE``: float16 for what a served archive keeps, so
    that fine-tuning can continue it without its SavedModel (`rasa train --finetune`);
    float32 for a soup's ingredients, which are averaged."""
    from safetensors.numpy import save_file

    path = Path(directory) / WEIGHTS_FILE
    weights = named_weights(model.weights)
    save_file({name: array.astype(dtype) for name, array in weights.items()}, str(path))
    return path
