"""The shipped encoder: a pretrained discriminator made small enough for the repository.

``pretrained/electra-small-ja/`` holds one model at a time: float16 safetensors (the TF loader
casts back to float32), config, vocabulary, tokenizer settings and ``pretraining_card.json``,
whose ``runs`` list gets a row for every GPU command that trained it (a resumption adds one).
numpy + safetensors only, so either environment can run it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from transformers.utils import SAFE_WEIGHTS_NAME

from rasa_electra.tokenization.subwords import WORDPIECE_FILES

SHIPPED = Path("pretrained/electra-small-ja")
MAX_BYTES = 30 * 1024 * 1024
CARD_FILE = "pretraining_card.json"
WEIGHTS_FILE = SAFE_WEIGHTS_NAME
COPIED = ("config.json", *WORDPIECE_FILES)
# the text the shipped encoder was pretrained on (../shared/data/ja_text, livedoor excluded)
CORPUS_LICENCES = [
    {"text": "Japanese Wikipedia: NICT Kyoto articles 2.01, JaQuAD contexts, KWAC",
     "licence": "CC BY-SA 3.0 / 4.0"},
    {"text": "JGLUE sentences and contexts (held-out overlaps removed)", "licence": "CC BY-SA 4.0"},
    {"text": "Aozora Bunko works (3,823 documents)",
     "licence": "mostly public domain; a few works under their holders' free terms"},
]  # fmt: skip


def ship_encoder(
    discriminator_dir: str | Path, runs: list[dict], out_dir: str | Path = SHIPPED
) -> Path:
    """Write ``discriminator_dir`` as the shipped encoder; ``runs`` are the GPU commands that
    trained it (date, hardware, steps, tokens, optimizer state kept or restarted)."""
    source, out_dir = Path(discriminator_dir), Path(out_dir)
    weights = load_file(str(source / WEIGHTS_FILE))
    half = {
        name: array.astype(np.float16) if array.dtype == np.float32 else array
        for name, array in weights.items()
    }
    if out_dir.exists():
        shutil.rmtree(out_dir)  # one shipped model at a time
    out_dir.mkdir(parents=True)
    save_file(half, str(out_dir / WEIGHTS_FILE), metadata={"format": "pt"})
    size = (out_dir / WEIGHTS_FILE).stat().st_size
    if size > MAX_BYTES:
        raise ValueError(f"{out_dir / WEIGHTS_FILE} is {size} bytes, over {MAX_BYTES}")
    for name in COPIED:
        if (source / name).is_file():
            shutil.copy2(source / name, out_dir / name)
    card = json.loads((source / CARD_FILE).read_text(encoding="utf-8"))
    card.update(
        shipped_dtype="float16",
        runs=runs,
        corpus_licences=CORPUS_LICENCES,
    )
    (out_dir / CARD_FILE).write_text(
        json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out_dir
