"""The pretraining data as the trainer sees it: one padded id matrix and the lengths.

Shards on disk (``shards``) and packs for the GPU trip (``pack``) both read into a
``SequenceSet``; segment ids and attention masks are never stored: the trainer's
``DeviceBatches`` recomputes them from the ids and lengths, on the training device.
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
