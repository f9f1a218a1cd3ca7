"""Reading an export back: the ``Servable`` every runtime implements (labels, tokenizer, ``run``
on padded batches, ``predict`` on texts) and the SavedModel runtime, TensorFlow alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rasa_electra.data.spans import Example
from rasa_electra.model import features
from rasa_electra.model.export import (
    CARD_FILE,
    REQUIRED,
    SIGNATURE,
    TOKENIZER_DIR,
    ExportError,
    check_parts,
    read_labels,
)
from rasa_electra.tokenization.subwords import SubwordTokenizer


def load_signature(directory: Path):
    """(loaded object, its serving signature); keep the object alive as long as the signature."""
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(str(directory))
        return loaded, loaded.signatures[SIGNATURE]
    except Exception as error:  # TF raises several unrelated types for a damaged SavedModel
        raise ExportError(f"{directory}: cannot load the SavedModel ({error})") from error


class Servable:
    """What the Rasa component needs: labels, a tokenizer, and ``run`` on padded batches."""

    labels: list[str]
    tokenizer: SubwordTokenizer
    max_seq_length: int

    def _read_side_files(self, directory: Path) -> None:
        """Labels, model card and tokenizer: shared by every backend of one export."""
        self.labels = read_labels(directory)
        self.card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
        self.max_seq_length = int(self.card["start_point"]["max_seq_length"])
        self.tokenizer = SubwordTokenizer.from_directory(directory / TOKENIZER_DIR)

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def predict(self, texts, batch_size: int = 32) -> list[Example]:
        examples = [t if isinstance(t, Example) else Example(t) for t in texts]
        return features.predict(
            examples, self.tokenizer, self.labels, self.run, self.max_seq_length, batch_size
        )


class ExportedModel(Servable):
    """An export directory loaded with ``tf.saved_model.load`` — no transformers model class."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        check_parts(self.directory, REQUIRED, "export")
        self._loaded, self._serve = load_signature(self.directory)
        self._read_side_files(self.directory)

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        import tensorflow as tf

        outputs = self._serve(**{k: tf.constant(inputs[k]) for k in features.INPUT_NAMES})
        return outputs["probabilities"].numpy()
