"""Held-out splits of a bot's own NLU data, for measuring extractors on it (GSD comes split)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from rasa_electra.data.spans import Example


def holdout(
    examples: Sequence[Example], test_fraction: float, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """(train, test): ``test_fraction`` of each intent's examples, drawn with ``seed``, so a
    small bot's test split has every intent; file order is kept within each part."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    by_intent: dict[str | None, list[int]] = {}
    for index, example in enumerate(examples):
        by_intent.setdefault(example.intent, []).append(index)
    rng = random.Random(seed)
    test: set[int] = set()
    for indices in by_intent.values():
        test.update(rng.sample(indices, round(len(indices) * test_fraction)))
    return (
        [e for i, e in enumerate(examples) if i not in test],
        [e for i, e in enumerate(examples) if i in test],
    )
