"""Model weights split into files small enough for the GPU machine's trip back (16 MiB a file),
and merged again. A tensor larger than one file is cut along its first dimension.

Each file is safetensors, and each carries the whole index (every tensor's pieces in order,
and the number of files) in its metadata: no extra file counts against the 8 that may come
back, and merging checks that every piece did.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

PATTERN = "weights-*-of-*.safetensors"
MIB = 1024 * 1024


def split_save(
    state: dict[str, torch.Tensor], out_dir: str | Path, max_bytes: int = 15 * MIB
) -> list[Path]:
    """Write ``state`` as ``weights-NNNNN.safetensors`` files of at most ``max_bytes`` each."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pieces: list[tuple[str, torch.Tensor]] = []
    index: dict[str, list[str]] = {}
    for name, tensor in state.items():
        tensor = tensor.detach().cpu().contiguous()
        row_bytes = tensor[0].numel() * tensor.element_size() if tensor.ndim else 0
        rows = max(1, max_bytes // max(1, row_bytes)) if tensor.ndim else 1
        chunks = torch.split(tensor, rows) if tensor.ndim and len(tensor) > rows else [tensor]
        index[name] = []
        for number, chunk in enumerate(chunks):
            key = name if len(chunks) == 1 else f"{name}@{number}"
            pieces.append((key, chunk.clone()))
            index[name].append(key)
    files, current, size = [], {}, 0
    for key, chunk in pieces:
        nbytes = chunk.numel() * chunk.element_size()
        if current and size + nbytes > max_bytes:
            files.append(current)
            current, size = {}, 0
        current[key] = chunk
        size += nbytes
    if current:
        files.append(current)
    index_text = json.dumps(index)
    paths = []
    for number, tensors in enumerate(files):
        path = out_dir / f"weights-{number:05d}-of-{len(files):05d}.safetensors"
        save_file(tensors, str(path), metadata={"index": index_text, "files": str(len(files))})
        paths.append(path)
    return paths


def merge_load(directory: str | Path) -> dict[str, torch.Tensor]:
    """The state dict ``split_save`` wrote; a missing file or piece is an error naming it."""
    from safetensors import safe_open

    directory = Path(directory)
    paths = sorted(directory.glob(PATTERN))
    if not paths:
        raise FileNotFoundError(f"{directory} holds no {PATTERN} files")
    with safe_open(str(paths[0]), framework="pt") as handle:
        metadata = handle.metadata()
    expected = int(metadata["files"])
    if len(paths) != expected:
        raise FileNotFoundError(
            f"{directory}: {len(paths)} of {expected} weight files (the weights came back "
            "incomplete)"
        )
    loaded: dict[str, torch.Tensor] = {}
    for path in paths:
        loaded.update(load_file(str(path)))
    state = {}
    for name, keys in json.loads(metadata["index"]).items():
        missing = [key for key in keys if key not in loaded]
        if missing:
            raise KeyError(f"{directory}: pieces {missing} of {name} are missing")
        parts = [loaded[key] for key in keys]
        state[name] = parts[0] if len(parts) == 1 else torch.cat(parts)
    return state
