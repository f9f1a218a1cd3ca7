"""What a fresh GPU machine needs to go on training, within the 64 MiB a command may carry.

The fp32 weights (57 MB for ELECTRA-small + generator) and the whole pack (58 MiB) do not fit
together. A resume kit holds the weights in bfloat16 (half the bytes; the trainer's fp32
parameters take them back, Adam restarts and the state says so), ``trainer_state.json`` and
``run.json`` of the last run, and as many pack parts as fit in what is left, those the shipped
card says were read least first. When the discriminator is the one shipped in the repository
(which travels with every command anyway), the kit holds only the generator and names the
shipped folder in ``kit.json``; a discriminator that does not travel with the repository (the
pretrained weights restored from history, once ``pretrained/`` holds the adapted encoder) is
bundled into the kit instead (``bundle``), and the pack parts fill what it leaves. Where the
generator did not survive (weights that came back stay out of git and off new machines), a kit
can be made from the shipped encoder alone: its discriminator and card's step count go on, a
fresh generator and optimizer start, and the trainer state records both restarts.

A second command on the same warm machine needs no weights (it resumes from the first one's
checkpoint there), so its kit is pack parts alone: the ones seen least that the first kit left
out (``make_parts_kit``).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import torch

from lab.pretraining.pack import PACK_MANIFEST, read_manifest
from lab.pretraining.shards import TOKENIZER_DIR
from lab.pretraining.ship import CARD_FILE
from lab.pretraining.weights import MIB, merge_load, split_save

WEIGHTS = "weights"
PACK = "pack"
KIT = "kit.json"
BUNDLED = "discriminator"  # the kit's own copy of the discriminator's folder
# in a parts kit's pack: it goes on from a checkpoint on the machine, and refuses to start anew
CONTINUES = "continues.json"
DISCRIMINATOR_PREFIX = "discriminator."


def discriminator_state(directory: str | Path) -> dict[str, torch.Tensor]:
    """An HF ``ElectraForPreTraining`` folder's weights under the trainer's names."""
    from safetensors.torch import load_file

    weights = load_file(str(Path(directory) / "model.safetensors"))
    return {DISCRIMINATOR_PREFIX + name: tensor for name, tensor in weights.items()}


def read_kit(directory: str | Path) -> dict:
    path = Path(directory) / KIT
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def kit_state(directory: str | Path) -> dict[str, torch.Tensor]:
    """The weights a kit (or a plain carried folder) stands for, shipped discriminator merged."""
    directory = Path(directory)
    kit = read_kit(directory)
    state = {} if kit.get("fresh_generator") else merge_load(directory)
    if kit.get("discriminator_bundled"):
        state.update(discriminator_state(directory / BUNDLED))
    elif kit.get("discriminator_from"):
        state.update(discriminator_state(kit["discriminator_from"]))
    return state


def make_resume_kit(
    carried: str | Path | None,
    pack_dir: str | Path,
    out_dir: str | Path,
    max_mib: float = 62.0,
    shipped: str | Path | None = None,
    bundle: bool = False,
) -> dict:
    """Write ``out_dir/weights`` (bf16) and ``out_dir/pack`` (the parts ``shipped``'s card says
    were seen least, then in pack order, as many as fit: ``pack_parts_seen``); with
    ``shipped`` (the repository's copy of this run's discriminator, a path relative to the
    repository root) only the generator goes in the kit; with ``carried=None`` the kit is the
    shipped encoder alone (fresh generator); ``bundle`` copies ``shipped``'s weights into the
    kit, for a discriminator that does not travel with the repository."""
    pack_dir, out_dir = Path(pack_dir), Path(out_dir)
    if bundle and shipped is None:
        raise ValueError("only the shipped encoder's discriminator can be bundled")
    card = _card(shipped)
    seen = pack_parts_seen(card)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    if carried is None:
        if shipped is None:
            raise ValueError("a kit needs carried weights or the shipped encoder")
        _shipped_only_kit(Path(shipped), card, out_dir / WEIGHTS)
        _write_kit(out_dir / WEIGHTS, Path(shipped), bundle, fresh_generator=True)
        return _add_pack_parts(pack_dir, out_dir, max_mib, seen)
    carried = Path(carried)
    state = {name: tensor.to(torch.bfloat16) for name, tensor in merge_load(carried).items()}
    if shipped is not None:
        reference = discriminator_state(shipped)
        for name, tensor in reference.items():  # the shipped copy must be this run's
            if not torch.allclose(tensor.float(), state[name].float(), atol=1e-2, rtol=1e-2):
                raise ValueError(f"{shipped} is not the discriminator of {carried} ({name})")
        state = {k: v for k, v in state.items() if not k.startswith(DISCRIMINATOR_PREFIX)}
    split_save(state, out_dir / WEIGHTS)
    for name in ("trainer_state.json", "run.json"):
        shutil.copy2(carried / name, out_dir / WEIGHTS / name)
    _write_kit(out_dir / WEIGHTS, None if shipped is None else Path(shipped), bundle)
    return _add_pack_parts(pack_dir, out_dir, max_mib, seen)


def _write_kit(weights_dir: Path, shipped: Path | None, bundle: bool, **flags: bool) -> None:
    """``kit.json``: where the discriminator comes from, and with ``bundle`` its weights and
    config copied beside it (``BUNDLED``)."""
    kit = {"discriminator_from": str(shipped) if shipped is not None else None, **flags}
    if bundle and shipped is not None:
        (weights_dir / BUNDLED).mkdir(parents=True)
        for name in ("model.safetensors", "config.json"):
            shutil.copy2(shipped / name, weights_dir / BUNDLED / name)
        kit["discriminator_bundled"] = True
    (weights_dir / KIT).write_text(json.dumps(kit) + "\n", encoding="utf-8")


def _shipped_only_kit(shipped: Path, card: dict, weights_dir: Path) -> None:
    """A trainer state taken from the shipped encoder's card."""
    weights_dir.mkdir(parents=True)
    state = {
        "step": card["steps"],
        "tokens_seen": card["tokens_seen"],
        "seconds": sum(run.get("train_seconds") or 0 for run in card.get("runs", [])),
        "history": [],
        "optimizer_restarts": [],
    }
    (weights_dir / "trainer_state.json").write_text(json.dumps(state) + "\n", encoding="utf-8")


def _card(shipped: str | Path | None) -> dict:
    """The shipped encoder's pretraining card (none: nothing is known to have been read)."""
    if shipped is None:
        return {}
    return json.loads((Path(shipped) / CARD_FILE).read_text(encoding="utf-8"))


def pack_parts_seen(card: dict) -> Counter[str]:
    """How many GPU runs read each pack part, from a pretraining card: each ``runs`` row's
    ``parts_used`` (the run.json's, `ship_encoder.run_row`), or, for a card whose rows predate
    that, the card's own ``data.parts_used`` (the last run's) once."""
    rows = [run["parts_used"] for run in card.get("runs", []) if run.get("parts_used")]
    if not rows and card.get("data", {}).get("parts_used"):
        rows = [card["data"]["parts_used"]]
    return Counter(name for parts in rows for name in parts)


def make_parts_kit(
    pack_dir: str | Path,
    out_dir: str | Path,
    first_kit: str | Path,
    max_mib: float = 62.0,
    shipped: str | Path | None = None,
) -> dict:
    """Write ``out_dir/pack``: the parts ``first_kit``'s pack lacks, those ``shipped``'s card
    says were seen least first, as many as fit, for the second command of a lease."""
    pack_dir, out_dir = Path(pack_dir), Path(out_dir)
    card = _card(shipped)
    carried = {p.name for p in (Path(first_kit) / PACK).glob("part-*")}
    if out_dir.exists():
        shutil.rmtree(out_dir)
    summary = _add_pack_parts(pack_dir, out_dir, max_mib, pack_parts_seen(card), carried)
    continues = {"after": str(first_kit)}
    (out_dir / PACK / CONTINUES).write_text(json.dumps(continues) + "\n", encoding="utf-8")
    return summary


def _add_pack_parts(
    pack_dir: Path,
    out_dir: Path,
    max_mib: float,
    seen: Counter[str],
    left_out: frozenset[str] | set[str] = frozenset(),
) -> dict:
    """The parts seen least first (pack order among equals), each that fits in ``max_mib``
    and is not ``left_out``: a lease's few minutes go to text the encoder has not read."""
    manifest = read_manifest(pack_dir)
    shutil.copytree(pack_dir / TOKENIZER_DIR, out_dir / PACK / TOKENIZER_DIR)
    shutil.copy2(pack_dir / PACK_MANIFEST, out_dir / PACK / PACK_MANIFEST)
    used = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    parts = []
    for part in sorted(manifest["parts"], key=lambda part: seen[part["name"]]):  # stable
        if part["name"] in left_out or used + part["bytes"] > max_mib * MIB:
            continue
        shutil.copy2(pack_dir / part["name"], out_dir / PACK / part["name"])
        used += part["bytes"]
        parts.append(part)
    if not parts:
        raise ValueError(f"no pack part fits beside the weights in {max_mib} MiB")
    return {
        "mib": round(used / MIB, 2),
        "parts": len(parts),
        "of_parts": len(manifest["parts"]),
        "part_names": [p["name"] for p in parts],
        "tokens": sum(p["tokens"] for p in parts),
        "unseen_tokens": sum(p["tokens"] for p in parts if not seen[p["name"]]),
        "of_tokens": manifest["tokens"],
    }
