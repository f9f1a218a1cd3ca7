"""Models exported the way the original write-up did (TensorFlow 1, google-research/electra).

That export is a TF1 SavedModel whose ``serving_default`` signature takes the same four int32
inputs as ours (``input_ids``, ``input_mask``, ``segment_ids``, ``labeled_positions``), often
with a fixed sequence length, and returns ``chunk_probs`` [batch, seq, labels] and
``chunk_predictions``. The label mapping is a pickle beside it and the WordPiece vocabulary a
``vocab.txt``. The pickle is read with an unpickler that only builds dicts, lists, strings and
numbers, so a tampered file cannot run code.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rasa_electra import defaults
from rasa_electra.model import features
from rasa_electra.model.export import ExportError, check_parts
from rasa_electra.serving.servable import Servable, load_signature
from rasa_electra.settings import Settings, at_least, setting
from rasa_electra.tokenization.subwords import SubwordTokenizer, bert_wordpiece


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: only plain data is allowed"
        )


def read_label_map(path: Path) -> list[str]:
    """Labels by index from a pickled ``{label: id}`` or ``{id: label}`` dict (or a list)."""
    try:
        table = _PlainDataUnpickler(io.BytesIO(path.read_bytes())).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as error:
        raise ExportError(f"{path}: not a readable label map ({error})") from error
    if isinstance(table, list):
        return [str(label) for label in table]
    if isinstance(table, dict) and table:
        pairs = [(v, k) if isinstance(v, int) else (k, v) for k, v in table.items()]
        by_index = dict(pairs)
        if sorted(by_index) == list(range(len(by_index))):
            return [str(by_index[i]) for i in range(len(by_index))]
    raise ExportError(
        f"{path}: expected a label↔index dict with indices 0..n-1, got {type(table).__name__}"
    )


@dataclass(frozen=True)
class TF1Options(Settings):
    """What the TF1 export does not record about itself."""

    label_map: str = setting("label2id.pkl", "the pickled label map beside the SavedModel")
    do_lower_case: bool = setting(
        False, "lower-case the text before WordPiece, as its vocabulary was"
    )
    max_seq_length: int = setting(
        defaults.MAX_SEQ_LENGTH,
        "subwords per window (a fixed-length graph's own is kept)",
        check=at_least(8),
    )


class LegacyTF1Model(Servable):
    """The write-up's export, behind the same ``predict`` as ``ExportedModel``."""

    def __init__(
        self,
        directory: str | Path,
        label_map: str = "label2id.pkl",
        max_seq_length: int = 128,
        do_lower_case: bool = False,
    ) -> None:
        self.directory = Path(directory)
        required = ("saved_model.pb", "variables", "vocab.txt", label_map)
        check_parts(self.directory, required, "TF1 export")
        self._loaded, self._serve = load_signature(self.directory)
        self.labels = read_label_map(self.directory / label_map)
        self.max_seq_length = max_seq_length
        self.tokenizer = SubwordTokenizer(
            bert_wordpiece(self.directory / "vocab.txt", do_lower_case)
        )
        width = self._serve.structured_input_signature[1]["input_ids"].shape[1]
        self._fixed_width = int(width) if width is not None else None
        if self._fixed_width:  # windows must fit the graph's fixed length
            self.max_seq_length = min(max_seq_length, self._fixed_width)

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        import tensorflow as tf

        width = inputs["input_ids"].shape[1]
        pad = (self._fixed_width or width) - width
        feed = {}
        for name in features.INPUT_NAMES:
            value = inputs[name]
            if pad:  # a fixed-length graph: pad, then cut the answer back to the batch's width
                fill = self.tokenizer.pieces.pad_token_id if name == "input_ids" else 0
                value = np.pad(value, ((0, 0), (0, pad)), constant_values=fill)
            feed[name] = tf.constant(value)
        return self._serve(**feed)["chunk_probs"].numpy()[:, :width]
