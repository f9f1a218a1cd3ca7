"""Where this package's components meet Rasa's own training-time checks.

Rasa's recipe validator knows its trainable entity extractors by class, so a pipeline whose
extractor is ours would be told it has none; ``register_trainable_extractor`` adds ours to that
list (Rasa then also warns, rightly, when two trainable extractors compete). Rasa's mixin warns
once per training message whose entity edges fall inside a token; ``report_misaligned`` says the
same in one line per training run.
"""

from __future__ import annotations

import rasa.shared.utils.io
from rasa.graph_components.validators import default_recipe_validator
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData


def register_trainable_extractor(component: type) -> type:
    """Count ``component`` among Rasa's trainable entity extractors (class decorator)."""
    if component not in default_recipe_validator.TRAINABLE_EXTRACTORS:
        default_recipe_validator.TRAINABLE_EXTRACTORS.append(component)
    return component


def count_misaligned(training_data: TrainingData) -> tuple[int, int]:
    """(entities whose start or end is not a token edge, all entities) in the training data."""
    misaligned = total = 0
    for example in training_data.entity_examples:
        tokens = example.get(TOKENS_NAMES[TEXT]) or []
        starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
        for entity in example.get(ENTITIES):
            total += 1
            misaligned += entity["start"] not in starts or entity["end"] not in ends
    return misaligned, total


def report_misaligned(training_data: TrainingData, component: str) -> None:
    """One warning for the whole training run, or none when every entity fits the tokens."""
    misaligned, total = count_misaligned(training_data)
    if misaligned:
        rasa.shared.utils.io.raise_warning(
            f"{component}: {misaligned:,} of {total:,} training entities cannot be represented "
            "on the tokenizer's words (an edge falls inside a word) and are learned as no "
            "entity; `rasa-electra boundaries` lists them per dictionary"
        )
