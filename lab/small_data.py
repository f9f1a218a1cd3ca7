"""The small-data benchmark: fixed samples of GSD train under a bot builder's own label names.

A bot builder brings a few hundred sentences with labels named their own way. The samples
stand for that: GSD's labels renamed and merged as a user would (``USER_LABELS``), so a model
only knows them by what the data teaches or what the start point's head carries over.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from rasa_electra.data.gsd import LABELS
from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.data.spans import Example, relabel

# GSD's labels as a bot builder names them: people, places, companies and times merged the
# way a booking or assistant bot asks for them; every other label kept under a name of its own
MERGED = {
    "PERSON": "person_name",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "company",
    "DATE": "when",
    "TIME": "when",
}
USER_LABELS = {label: MERGED.get(label, label.lower()) for label in sorted(LABELS)}
SIZES = (200, 500, 1000)


def sample(examples: Sequence[Example], size: int, seed: int = 0) -> list[Example]:
    """``size`` examples drawn with ``seed``, in file order: the same sentences on any machine,
    and each larger sample a superset of the smaller (one shuffled order, cut at each size)."""
    if not 0 < size <= len(examples):
        raise ValueError(f"a sample of {size} from {len(examples)} examples")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    return [examples[i] for i in sorted(order[:size])]


def renamed(examples: Sequence[Example]) -> list[Example]:
    """Every span under its user name; a label outside GSD's set is an error, not a drop."""
    kept, dropped = relabel(examples, USER_LABELS)
    if dropped:
        raise ValueError(f"labels outside GSD's: {dict(dropped)}")
    return kept


def write_benchmark(
    gsd: Path, out: Path, sizes: Sequence[int] = SIZES, seed: int = 0
) -> list[Path]:
    """``train-<size>.yml`` per size, ``train-full.yml``, ``dev.yml`` and ``test.yml`` in
    ``out``, renamed: dev to choose on, test read once per final recipe."""
    train = renamed(read_rasa_data(gsd / "train.yml"))
    out.mkdir(parents=True, exist_ok=True)
    files = {f"train-{size}.yml": sample(train, size, seed) for size in sizes}
    files["train-full.yml"] = train
    for split in ("dev", "test"):
        files[f"{split}.yml"] = renamed(read_rasa_data(gsd / f"{split}.yml"))
    for name, examples in files.items():
        write_rasa_yaml(examples, out / name)
    return [out / name for name in files]
