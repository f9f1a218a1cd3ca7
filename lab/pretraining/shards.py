"""Pre-tokenized pretraining data: token-id shards (numpy) made once, read by id afterwards.

Sentences of a document are packed, as in google-research/electra's ``ExampleBuilder``, into
sequences ``[CLS] A [SEP] B [SEP]`` of at most ``max_seq_length`` ids, A and B split at a random
sentence boundary. A sentence longer than a whole sequence is cut into sequence-sized pieces
rather than truncated, so no text is lost. Each shard is two ``.npy`` files (ids, lengths;
segments come back from the first [SEP]); ``shards.json`` describes them and ``tokenizer/`` is
the vocabulary they were made with. ``read_shards`` reads them into a ``SequenceSet``;
``pack`` prepares them for a trip.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lab.pretraining.sequences import SequenceSet
from rasa_electra.tokenization.subwords import SPECIAL_TOKENS, SubwordTokenizer

MANIFEST = "shards.json"
TOKENIZER_DIR = "tokenizer"


def sentence_ids(tokenizer: SubwordTokenizer, sentence: str) -> list[int]:
    """The subword ids of a sentence (MeCab words, then WordPiece), no special tokens."""
    return [piece.id for pieces in tokenizer.tokenize(sentence).word_pieces for piece in pieces]


_worker_tokenizer: SubwordTokenizer | None = None


def _start_worker(tokenizer_dir: str) -> None:
    global _worker_tokenizer
    _worker_tokenizer = SubwordTokenizer.from_directory(tokenizer_dir)


def _document_ids(document: list[str]) -> list[list[int]]:
    return [sentence_ids(_worker_tokenizer, sentence) for sentence in document]


def tokenized_documents(
    documents: Iterable[list[str]], tokenizer_dir: Path, workers: int
) -> Iterator[list[list[int]]]:
    """Each document's sentences as id lists, in corpus order; ``workers`` processes share the
    MeCab + WordPiece work (the packing stays in one process, so the shards do not depend on
    the number of workers)."""
    if workers <= 1:
        _start_worker(str(tokenizer_dir))
        yield from map(_document_ids, documents)
        return
    context = multiprocessing.get_context("spawn")  # fork would copy MeCab's state
    with context.Pool(workers, _start_worker, (str(tokenizer_dir),)) as pool:
        yield from pool.imap(_document_ids, documents, chunksize=64)


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
        lengths = np.zeros(count, dtype=np.int32)
        for row, (a, b) in enumerate(self.rows):
            sequence = [self.cls_id, *a, self.sep_id] + ([*b, self.sep_id] if b else [])
            ids[row, : len(sequence)] = sequence
            lengths[row] = len(sequence)
        name = f"shard-{len(self.shards):05d}"
        for suffix, array in (("input_ids", ids), ("lengths", lengths)):
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
    workers: int = 1,
) -> dict:
    """Tokenize (over ``workers`` processes) and pack ``documents`` (lists of sentences) into
    shards; returns the manifest."""
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
    tokenized = tokenized_documents(documents, out_dir / TOKENIZER_DIR, workers)
    for ids in tqdm(tokenized, desc="tokenize + pack", unit="doc"):
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
        "special_ids": special_token_ids(out_dir / TOKENIZER_DIR / "vocab.txt"),
        "shards": writer.shards,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def special_token_ids(vocab_txt: Path) -> dict[str, int]:
    """[CLS], [SEP], [PAD], [MASK] ids read from ``vocab.txt`` itself, so the trainer needs
    neither MeCab nor transformers' tokenizers (the GPU machine has no MeCab)."""
    lines = Path(vocab_txt).read_text(encoding="utf-8").splitlines()
    positions = {token: index for index, token in enumerate(lines)}
    missing = [t for t in SPECIAL_TOKENS.values() if t not in positions]
    if missing:
        raise ValueError(f"{vocab_txt}: no {', '.join(missing)} in the vocabulary")
    return {name: positions[token] for name, token in SPECIAL_TOKENS.items()}


def read_shards(directory: str | Path) -> SequenceSet:
    """All shards of a directory as one ``SequenceSet`` in memory."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{manifest_path} is missing: build shards first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    ids, lengths = [], []
    for shard in manifest["shards"]:
        stem = directory / shard["name"]
        ids.append(np.load(f"{stem}.input_ids.npy"))
        lengths.append(np.load(f"{stem}.lengths.npy").astype(np.int64))
    if not ids or not sum(map(len, lengths)):
        raise ValueError(f"{directory} holds no sequences")
    tokenizer_dir = directory / TOKENIZER_DIR
    special = manifest.get("special_ids") or special_token_ids(tokenizer_dir / "vocab.txt")
    info = {k: v for k, v in manifest.items() if k != "shards"}
    return SequenceSet(np.concatenate(ids), np.concatenate(lengths), manifest["vocab_size"],
                       special, tokenizer_dir, info)  # fmt: skip
