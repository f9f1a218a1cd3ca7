"""Token-id shards packed for the trip to the GPU machine, and read back there.

What may travel with one command is 64 MiB, so the pack keeps only what cannot be recomputed:
each sequence's ids ([CLS] A [SEP] B [SEP], no padding) and its length. Segment ids come back
from the first [SEP], the attention mask from the length. The ids are stored as byte planes
(all high bytes, then all low bytes), which LZMA compresses far better than interleaved
uint16, in parts of at most ``part_sequences`` sequences so a later trip can carry fewer.
Needs numpy only: it runs on the GPU machine, which has no MeCab.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import shutil
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lab.pretraining.sequences import SequenceSet
from lab.pretraining.shards import TOKENIZER_DIR

PACK_MANIFEST = "pack.json"


def _encode_part(ids: np.ndarray, lengths: np.ndarray) -> bytes:
    flat = np.concatenate([row[:length] for row, length in zip(ids, lengths, strict=True)])
    flat = flat.astype("<u2") if ids.dtype.itemsize <= 2 else flat.astype("<u4")
    planes = flat.view(np.uint8).reshape(len(flat), flat.itemsize).T.copy()  # byte planes
    length_dtype = np.uint8 if ids.shape[1] <= 255 else np.uint16
    payload = lengths.astype(length_dtype).tobytes() + planes.tobytes()
    return lzma.compress(payload, preset=9 | lzma.PRESET_EXTREME)


def _decode_part(data: bytes, count: int, max_seq_length: int, id_bytes: int) -> tuple:
    payload = lzma.decompress(data)
    length_dtype = np.uint8 if max_seq_length <= 255 else np.uint16
    size = count * np.dtype(length_dtype).itemsize
    lengths = np.frombuffer(payload[:size], dtype=length_dtype).astype(np.int64)
    planes = np.frombuffer(payload[size:], dtype=np.uint8).reshape(id_bytes, -1)
    flat = planes.T.copy().view("<u2" if id_bytes == 2 else "<u4").reshape(-1)
    if len(flat) != lengths.sum():
        raise ValueError("pack part is damaged: ids and lengths disagree")
    ids = np.zeros((count, max_seq_length), dtype=np.uint16 if id_bytes == 2 else np.int32)
    inside = np.arange(max_seq_length)[None, :] < lengths[:, None]
    ids[inside] = flat
    return ids, lengths


def pack_sequences(
    sequences: SequenceSet,
    out_dir: str | Path,
    part_sequences: int = 100_000,
    max_bytes: int | None = None,
) -> dict:
    """Write ``sequences`` as compressed parts + ``pack.json`` + the tokenizer files; with
    ``max_bytes``, stop before the part that would pass it (the corpus's tail stays behind,
    counted in the manifest as ``left_behind``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(sequences.tokenizer_dir, out_dir / TOKENIZER_DIR, dirs_exist_ok=True)
    parts = []
    starts = range(0, len(sequences), part_sequences)
    for number, start in enumerate(tqdm(starts, desc="pack (xz)", unit="part")):
        ids = sequences.ids[start : start + part_sequences]
        lengths = sequences.lengths[start : start + part_sequences]
        data = _encode_part(np.asarray(ids), np.asarray(lengths))
        if max_bytes is not None and sum(p["bytes"] for p in parts) + len(data) > max_bytes:
            break
        name = f"part-{number:04d}.xz"
        (out_dir / name).write_bytes(data)
        parts.append({"name": name, "sequences": len(lengths), "tokens": int(lengths.sum()),
                      "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
    manifest = {
        "max_seq_length": sequences.max_seq_length,
        "vocab_size": sequences.vocab_size,
        "id_bytes": 2 if sequences.vocab_size <= 65536 else 4,
        "special_ids": sequences.special_ids,
        "sequences": sum(p["sequences"] for p in parts),
        "tokens": sum(p["tokens"] for p in parts),
        "bytes": sum(p["bytes"] for p in parts),
        "left_behind": {
            "sequences": len(sequences) - sum(p["sequences"] for p in parts),
            "tokens": sequences.tokens - sum(p["tokens"] for p in parts),
        },
        "source": sequences.info,
        "parts": parts,
    }
    (out_dir / PACK_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(pack_dir: str | Path) -> dict:
    """A pack's ``pack.json``: its parts (name, sequences, tokens, bytes, sha256) and shapes."""
    return json.loads((Path(pack_dir) / PACK_MANIFEST).read_text(encoding="utf-8"))


def read_pack(pack_dir: str | Path, max_parts: int | None = None) -> SequenceSet:
    """The sequences of a pack (its parts present here, in order; checksums verified)."""
    pack_dir = Path(pack_dir)
    manifest = read_manifest(pack_dir)
    wanted = manifest["parts"][:max_parts]
    present = [p for p in wanted if (pack_dir / p["name"]).is_file()]
    if not present:
        raise FileNotFoundError(f"{pack_dir}: none of the pack's parts is here")
    all_ids, all_lengths = [], []
    for part in present:
        data = (pack_dir / part["name"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != part["sha256"]:
            raise ValueError(f"{pack_dir / part['name']}: checksum mismatch (damaged in transit?)")
        ids, lengths = _decode_part(
            data, part["sequences"], manifest["max_seq_length"], manifest["id_bytes"]
        )
        all_ids.append(ids)
        all_lengths.append(lengths)
    info = {k: v for k, v in manifest.items() if k != "parts"}
    info["parts_used"] = [p["name"] for p in present]
    return SequenceSet(
        np.concatenate(all_ids), np.concatenate(all_lengths), manifest["vocab_size"],
        manifest["special_ids"], pack_dir / TOKENIZER_DIR, info,
    )  # fmt: skip


def merge_pack(pack_dir: str | Path, target_dir: str | Path) -> Path:
    """Copy the parts of ``pack_dir`` that ``target_dir`` lacks into it and return it: a warm
    machine's later commands, each carrying other parts of the same pack, train on every part
    carried so far. A part of another pack is refused, not mixed in."""
    pack_dir, target = Path(pack_dir), Path(target_dir)
    manifest = read_manifest(pack_dir)
    if (target / PACK_MANIFEST).is_file():
        held = read_manifest(target)
        if [p["sha256"] for p in held["parts"]] != [p["sha256"] for p in manifest["parts"]]:
            raise ValueError(f"{pack_dir} is not the pack whose parts {target} holds")
    else:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(pack_dir / TOKENIZER_DIR, target / TOKENIZER_DIR, dirs_exist_ok=True)
        shutil.copy2(pack_dir / PACK_MANIFEST, target / PACK_MANIFEST)
    for part in manifest["parts"]:
        if (pack_dir / part["name"]).is_file() and not (target / part["name"]).is_file():
            shutil.copy2(pack_dir / part["name"], target / part["name"])
    return target
