"""The pretraining data as the trainer sees it: one padded id matrix and the lengths.

Shards on disk (``shards``) and packs for the GPU trip (``pack``) both read into a
``SequenceSet``; segment ids and attention masks are recomputed from the ids, never stored.
Needs numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class SequenceSet:
    """Every sequence as one padded id matrix (uint16/int32) plus lengths: what the trainer
    reads, from shards on disk or from a pack."""

    ids: np.ndarray  # (sequences, max_seq_length), 0 ([PAD]) after each length
    lengths: np.ndarray  # (sequences,)
    vocab_size: int
    special_ids: dict[str, int]
    tokenizer_dir: Path
    info: dict

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def max_seq_length(self) -> int:
        return int(self.ids.shape[1])

    @property
    def tokens(self) -> int:
        return int(self.lengths.sum())

    def batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """int64 ``input_ids``, ``token_type_ids``, ``attention_mask`` of the rows ``indices``
        at full width (fixed shapes: one compiled graph on a GPU)."""
        ids = self.ids[indices].astype(np.int64)
        lengths = self.lengths[indices]
        mask = np.arange(self.max_seq_length)[None, :] < lengths[:, None]
        return {
            "input_ids": ids,
            "token_type_ids": token_type_ids(ids, lengths, self.special_ids["sep_token"]).astype(
                np.int64
            ),
            "attention_mask": mask.astype(np.int64),
        }


def token_type_ids(ids: np.ndarray, lengths: np.ndarray, sep_id: int) -> np.ndarray:
    """Segment B (1) starts after the first [SEP] and ends at the sequence's length."""
    after_first_sep = np.cumsum(ids == sep_id, axis=1) - (ids == sep_id) >= 1
    inside = np.arange(ids.shape[1])[None, :] < lengths[:, None]
    return (after_first_sep & inside).astype(np.int8)
