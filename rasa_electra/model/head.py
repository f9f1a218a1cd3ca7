"""A new run's entity head seeded from the one its start point carries: a tag the old head knows
keeps its row, a new label's rows are the weighted mean of its origins' (an ``entity_map``'s
labels, or what label alignment measured), the rest start fresh. The same seeding continues a
CRF head's transitions and the word-feature tables, which were trained beside that head."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rasa_electra.data.tags import entity_of
from rasa_electra.data.viterbi import Transitions
from rasa_electra.model.export import read_labels
from rasa_electra.model.weights import StartPointError, export_variables, relative_name
from rasa_electra.model.word_features import UNKNOWN as UNKNOWN_FEATURE
from rasa_electra.model.word_features import FeatureTables

# a new label's origins: head labels alike (an entity_map's), or each with its weight
Origins = Sequence[str] | Mapping[str, float]
# an encoder directory's entity head (``adapted_encoder``: the silver stage's classifier): TF
# layout ``kernel`` [hidden, tags] and ``bias`` [tags], its tags in the file's metadata
HEAD_FILE = "entity_head.safetensors"


class HeadSource(Protocol):
    """What continuing a head reads of a start point (a ``model_spec.ModelSpec``)."""

    directory: Path | None
    label_origins: dict[str, Origins]

    def head_tags(self) -> list[str]: ...


def seed_columns(
    labels: Sequence[str], old_tags: Sequence[str], origins: Mapping[str, Origins]
) -> dict[int, dict[int, float]]:
    """Per column of ``labels`` a head row can start from, the old head's columns it starts
    from with their weights: the same tag's, else its origins' (B-place ← B-GPE, B-LOC …), each
    by its weight (an origin list weighs them alike)."""
    old = {tag: i for i, tag in enumerate(old_tags)}
    seeds = {}
    for column, tag in enumerate(labels):
        prefix, _, label = tag.partition("-")
        entity = entity_of(label)  # place|role=from starts where place does
        if tag in old:
            sources = {tag: 1.0}
        else:
            weights = origins.get(entity, {})
            if not isinstance(weights, Mapping):
                weights = dict.fromkeys(weights, 1.0)
            sources = {f"{prefix}-{origin}": w for origin, w in weights.items()}
        rows = {old[source]: w for source, w in sources.items() if source in old and w > 0}
        if rows:
            seeds[column] = rows
    return seeds


def mix(old: np.ndarray, rows: dict[int, float], axis: int = -1) -> np.ndarray:
    """The mean of ``old``'s ``rows`` along ``axis``, weighted by theirs."""
    picked = np.take(old, list(rows), axis=axis)
    weights = list(rows.values())
    if len(set(weights)) == 1:
        return picked.mean(axis=axis)
    return np.average(picked, axis=axis, weights=weights)


def seeded(fresh: Any, old: Any, seeds: dict[int, dict[int, float]]) -> Any:
    """A fresh classifier kernel [hidden, tags] or bias [tags] with the seeded columns
    replaced by the weighted mean of their old columns."""
    for column, rows in seeds.items():
        fresh[..., column] = mix(old, rows)
    return fresh


def load_export_weights(
    model, directory: Path, labels: list[str], origins: Mapping[str, Origins]
) -> int:
    """The export's variables into ``model`` by name; the classifier's rows for a tag the export
    knows are copied, a new tag's rows are the mean of its origins', and the rest keep their
    fresh initialisation (``seed_columns``). Returns how many rows were seeded."""
    saved = export_variables(directory)
    seeds = seed_columns(labels, read_labels(directory), origins)
    for weight in model.weights:
        name = relative_name(weight.name)
        if name not in saved:
            raise StartPointError(f"{directory} has no weight {name}: not this model's export")
        old = saved[name]
        if "classifier" not in name:
            if old.shape != tuple(weight.shape):
                raise StartPointError(f"{directory}: {name} is {old.shape}, not {weight.shape}")
            weight.assign(old)
            continue
        weight.assign(seeded(weight.numpy(), old, seeds))
    return len(seeds)


def write_head(directory: Path, tags: Sequence[str], kernel: Any, bias: Any) -> Path:
    """An encoder directory's entity head (``HEAD_FILE``), float32."""
    from safetensors.numpy import save_file

    if kernel.shape[-1] != len(tags) or bias.shape != (len(tags),):
        raise StartPointError(f"a head of {len(tags)} tags cannot be {kernel.shape}, {bias.shape}")
    path = Path(directory) / HEAD_FILE
    arrays = {"kernel": kernel.astype("float32"), "bias": bias.astype("float32")}
    save_file(arrays, str(path), metadata={"tags": json.dumps(list(tags))})
    return path


def head_file_tags(directory: Path) -> list[str] | None:
    """The tags of an encoder directory's entity head, or None when it has none."""
    return read_head(directory)[0] if (Path(directory) / HEAD_FILE).is_file() else None


def read_head(directory: Path) -> tuple[list[str], dict[str, Any]]:
    from safetensors import safe_open

    path = directory / HEAD_FILE
    with safe_open(str(path), framework="numpy") as head:
        tags = json.loads((head.metadata() or {}).get("tags", "null"))
        arrays = {name: head.get_tensor(name) for name in head.keys()}  # noqa: SIM118 (not a dict)
    if not isinstance(tags, list) or set(arrays) != {"kernel", "bias"}:
        raise StartPointError(f"{path} is not an entity head: tags, kernel and bias expected")
    return tags, arrays


def load_head(model, directory: Path, labels: list[str], origins: Mapping[str, Origins]) -> int:
    """The directory's entity head into ``model``'s classifier, row by row as for an export."""
    tags, arrays = read_head(directory)
    seeds = seed_columns(labels, tags, origins)
    for weight in model.weights:
        name = relative_name(weight.name)
        if name.startswith("classifier"):
            old = arrays["kernel" if "kernel" in name else "bias"]
            if old.shape[:-1] != tuple(weight.shape)[:-1]:
                raise StartPointError(f"{directory / HEAD_FILE}: {old.shape} does not fit {name}")
            weight.assign(seeded(weight.numpy(), old, seeds))
    return len(seeds)


def continue_scores(spec: HeadSource, labels: Sequence[str], crf: Any, word_features: Any) -> int:
    """The start point's head scores into a new run's: a CRF head's transitions between tags
    it knows (``transitions.json``) and the word-feature tables' rows for feature values it
    knows, by value (``word_features.json``); columns seeded as the classifier's are
    (``seed_columns``), everything else left at its fresh 0. The classifier was trained beside
    these scores, so continuing it alone starts from logits calibrated for other ones. Returns
    how many score tables were continued."""
    old_tags = spec.head_tags()
    if not old_tags:
        return 0
    seeds = seed_columns(labels, old_tags, spec.label_origins)
    continued = 0
    old = Transitions.load(spec.directory, old_tags) if crf is not None else None
    if old is not None:
        crf.start.assign(seeded(crf.start.numpy(), old.start, seeds))
        crf.end.assign(seeded(crf.end.numpy(), old.end, seeds))
        transition = crf.transition.numpy()
        for row, old_rows in seeds.items():
            transition[row] = seeded(transition[row], mix(old.transition, old_rows, 0), seeds)
        crf.transition.assign(transition)
        continued += 1
    tables = FeatureTables.load(spec.directory, old_tags) if word_features is not None else None
    if tables is None:
        return continued
    for name, variable in zip(word_features.vocab.names, word_features.tables, strict=True):
        if name not in tables.vocab.names:
            continue
        old_ids = tables.vocab.value_ids(name)
        rows = {UNKNOWN_FEATURE: UNKNOWN_FEATURE}  # new id → old id, the unknown value's too
        rows |= {
            new_id: old_ids[value]
            for value, new_id in word_features.vocab.value_ids(name).items()
            if value in old_ids
        }
        table = variable.numpy()
        for new_id, old_id in rows.items():
            table[new_id] = seeded(table[new_id], tables.tables[name][old_id], seeds)
        variable.assign(table)
        continued += 1
    return continued
