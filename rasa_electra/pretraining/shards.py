"""Pre-tokenized pretraining data: token-id shards (numpy) made once, read by id afterwards.

Sentences of a document are packed, as in google-research/electra's ``ExampleBuilder``, into
sequences ``[CLS] A [SEP] B [SEP]`` of at most ``max_seq_length`` ids, A and B split at a random
sentence boundary. A sentence longer than a whole sequence is cut into sequence-sized pieces
rather than truncated, so no text is lost. Each shard is three ``.npy`` files (ids, segment ids,
lengths) read memory-mapped; ``shards.json`` describes them and ``tokenizer/`` is the vocabulary
they were made with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from rasa_electra.tokenization.subwords import SubwordTokenizer

MANIFEST = "shards.json"
TOKENIZER_DIR = "tokenizer"


def sentence_ids(tokenizer: SubwordTokenizer, sentence: str) -> list[int]:
    """The subword ids of a sentence (MeCab words, then WordPiece), no special tokens."""
    return [piece.id for pieces in tokenizer.tokenize(sentence).word_pieces for piece in pieces]


def pack_document(
    sentences: list[list[int]], content_length: int, rng: np.random.Generator
) -> Iterator[tuple[list[int], list[int]]]:
    """(segment A, segment B) id lists of at most ``content_length`` ids together."""
    current: list[list[int]] = []
    size = 0
    for ids in sentences:
        if size + len(ids) > content_length and current:
            yield _split_segments(current, rng)
            current, size = [], 0
        if len(ids) > content_length:  # one sentence longer than a sequence: cut, never drop
            for start in range(0, len(ids), content_length):
                yield ids[start : start + content_length], []
            continue
        if ids:
            current.append(ids)
            size += len(ids)
    if current:
        yield _split_segments(current, rng)


def _split_segments(sentences: list[list[int]], rng: np.random.Generator):
    cut = int(rng.integers(1, len(sentences))) if len(sentences) > 1 else 1
    return [i for s in sentences[:cut] for i in s], [i for s in sentences[cut:] for i in s]


@dataclass
class ShardWriter:
    """Collects packed sequences and writes a shard every ``shard_size`` sequences."""

    out_dir: Path
    max_seq_length: int
    cls_id: int
    sep_id: int
    dtype: np.dtype
    shard_size: int = 100_000

    def __post_init__(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.rows: list[tuple[list[int], list[int]]] = []
        self.shards: list[dict] = []

    def add(self, segment_a: list[int], segment_b: list[int]) -> None:
        self.rows.append((segment_a, segment_b))
        if len(self.rows) >= self.shard_size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        count, length = len(self.rows), self.max_seq_length
        ids = np.zeros((count, length), dtype=self.dtype)  # 0 is [PAD] in BERT vocabularies
        segments = np.zeros((count, length), dtype=np.int8)
        lengths = np.zeros(count, dtype=np.int32)
        for row, (a, b) in enumerate(self.rows):
            sequence = [self.cls_id, *a, self.sep_id] + ([*b, self.sep_id] if b else [])
            ids[row, : len(sequence)] = sequence
            segments[row, len(a) + 2 : len(sequence)] = 1
            lengths[row] = len(sequence)
        name = f"shard-{len(self.shards):05d}"
        for suffix, array in (("input_ids", ids), ("token_type_ids", segments),
                              ("lengths", lengths)):  # fmt: skip
            np.save(self.out_dir / f"{name}.{suffix}.npy", array)
        self.shards.append({"name": name, "sequences": count, "tokens": int(lengths.sum())})
        self.rows = []


def build_shards(
    documents: Iterable[list[str]],
    tokenizer: SubwordTokenizer,
    out_dir: str | Path,
    max_seq_length: int = 128,
    shard_size: int = 100_000,
    seed: int = 0,
    source: str = "",
) -> dict:
    """Tokenize and pack ``documents`` (lists of sentences) into shards; returns the manifest."""
    if max_seq_length < 8:
        raise ValueError("max_seq_length must be at least 8")
    out_dir = Path(out_dir)
    tokenizer.save(out_dir / TOKENIZER_DIR)
    pieces = tokenizer.pieces
    dtype = np.uint16 if tokenizer.vocab_size <= np.iinfo(np.uint16).max else np.int32
    writer = ShardWriter(out_dir, max_seq_length, pieces.cls_token_id, pieces.sep_token_id,
                         np.dtype(dtype), shard_size)  # fmt: skip
    rng = np.random.default_rng(seed)
    documents_seen = 0
    for document in tqdm(documents, desc="tokenize + pack", unit="doc"):
        ids = [sentence_ids(tokenizer, sentence) for sentence in document]
        for segment_a, segment_b in pack_document(ids, max_seq_length - 3, rng):
            writer.add(segment_a, segment_b)
        documents_seen += 1
    writer.flush()
    manifest = {
        "max_seq_length": max_seq_length,
        "vocab_size": tokenizer.vocab_size,
        "dtype": np.dtype(dtype).name,
        "documents": documents_seen,
        "sequences": sum(s["sequences"] for s in writer.shards),
        "tokens": sum(s["tokens"] for s in writer.shards),
        "source": source,
        "seed": seed,
        "shards": writer.shards,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


class ShardedSequences:
    """All shards of a directory as one indexable set of sequences (memory-mapped)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        manifest_path = self.directory / MANIFEST
        if not manifest_path.is_file():
            raise FileNotFoundError(f"{manifest_path} is missing: build shards first")
        self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        self.max_seq_length = self.manifest["max_seq_length"]
        self.vocab_size = self.manifest["vocab_size"]
        self._ids, self._segments, self._lengths = [], [], []
        for shard in self.manifest["shards"]:
            stem = self.directory / shard["name"]
            self._ids.append(np.load(f"{stem}.input_ids.npy", mmap_mode="r"))
            self._segments.append(np.load(f"{stem}.token_type_ids.npy", mmap_mode="r"))
            self._lengths.append(np.load(f"{stem}.lengths.npy"))
        self._offsets = np.cumsum([0] + [len(lengths) for lengths in self._lengths])
        if len(self) == 0:
            raise ValueError(f"{self.directory} holds no sequences")

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """int64 arrays ``input_ids``, ``token_type_ids``, ``attention_mask``, cut to the
        longest sequence of the batch."""
        shards = np.searchsorted(self._offsets, indices, side="right") - 1
        places = list(zip(shards, indices - self._offsets[shards], strict=True))
        lengths = np.array([self._lengths[s][r] for s, r in places])
        width = int(lengths.max())
        ids = np.stack([self._ids[s][r, :width] for s, r in places])
        segments = np.stack([self._segments[s][r, :width] for s, r in places])
        mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
        return {
            "input_ids": ids.astype(np.int64),
            "token_type_ids": segments.astype(np.int64),
            "attention_mask": mask,
        }
