"""Reading an export back: the ``Servable`` every runtime implements (labels, tokenizer, ``run``
on padded batches, ``predict`` on texts) and the SavedModel runtime, TensorFlow alone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from rasa_electra import defaults
from rasa_electra.data.entity_memory import EntityMemory
from rasa_electra.data.spans import Example
from rasa_electra.data.viterbi import Decoder, Transitions
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
from rasa_electra.model.word_features import FeatureTables
from rasa_electra.tokenization.subwords import SubwordTokenizer
from rasa_electra.tokenization.words import Word


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
    _decoder: Decoder | None = None
    word_features: FeatureTables | None = None  # the export's word-feature scores, if any
    memory: EntityMemory | None = None  # the export's entity memory, if any

    card: dict | None = None  # the export's model card; the TF1 export has none

    @property
    def decoder(self) -> Decoder:
        """The labels, the export's learned transitions if any, the method (Viterbi under the
        scheme's constraints) and the export's O bias unless told otherwise."""
        if self._decoder is None or self._decoder.labels != tuple(self.labels):
            self._decoder = self._default_decoder(None)
        return self._decoder

    @property
    def own_o_bias(self) -> float:
        """The O bias the card records the model was trained and scored with; an export
        without one (the TF1 export has no card) gets ``defaults.O_BIAS``."""
        trained = (self.card or {}).get("hyperparameters", {}).get("o_bias")
        return defaults.O_BIAS if trained is None else float(trained)

    def _default_decoder(self, transitions: Transitions | None) -> Decoder:
        return Decoder(tuple(self.labels), transitions, o_bias=self.own_o_bias)

    def _read_side_files(self, directory: Path) -> None:
        """Labels, model card and tokenizer: shared by every backend of one export."""
        self.labels = read_labels(directory)
        self.card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
        self.max_seq_length = int(self.card["start_point"]["max_seq_length"])
        self.tokenizer = SubwordTokenizer.from_directory(directory / TOKENIZER_DIR)
        try:
            transitions = Transitions.load(directory, self.labels)
            self.word_features = FeatureTables.load(directory, self.labels)
            self.memory = EntityMemory.load(directory, self.labels)
        except ValueError as error:
            raise ExportError(str(error)) from error
        self._decoder = self._default_decoder(transitions)

    def use_decoding(self, method: str, o_bias: float | None = None) -> None:
        """Decode with ``viterbi`` (the default) or ``argmax``, and this O bias (None: the
        export's own), from now on."""
        bias = self.own_o_bias if o_bias is None else o_bias
        self._decoder = replace(self.decoder, method=method, o_bias=bias)

    def use_memory(self, min_share: float | None) -> None:
        """Relabel by the export's entity memory at this share from now on; None: do not."""
        if self.memory is not None and min_share is not None:
            self.memory = replace(self.memory, min_share=min_share)
        elif min_share is None:
            self.memory = None

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def predict(
        self, texts, batch_size: int = 32, words: Sequence[Sequence[Word] | None] | None = None,
        hints: Sequence[features.Hint | None] | None = None,
    ) -> list[Example]:  # fmt: skip
        """Entities for each text; ``words`` (per text, or None) are words already segmented,
        e.g. the Rasa pipeline's tokens, cut into this export's pieces instead of segmenting
        the text again; ``hints`` (per text, or None) weigh another extractor's entities in."""
        examples = [t if isinstance(t, Example) else Example(t) for t in texts]
        given = list(words) if words is not None else [None] * len(examples)
        tokenized = [
            self.tokenizer.tokenize(e.text, w) for e, w in zip(examples, given, strict=True)
        ]
        return features.predict(
            examples, self.tokenizer, self.decoder, self.run, self.max_seq_length, batch_size,
            tokenized=tokenized, word_features=self.word_features, memory=self.memory,
            hints=hints,
        )  # fmt: skip


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


class TrainedModel(Servable):
    """A fine-tuned ``model.ner.NerModel`` still in memory, decoded as its export will be: the
    reference its converted formats are checked against before any SavedModel is written."""

    def __init__(self, model) -> None:
        self._model = model
        self.labels = list(model.labels)
        self.tokenizer = model.spec.tokenizer
        self.max_seq_length = model.spec.max_seq_length
        self._decoder = model.decoder
        self.word_features = model.feature_tables
        self.memory = model.memory

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self._model.run(inputs)
