"""``DataLoader``: annotated examples bound to the model spec that will encode them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from rasa_electra.data.bio import read_bio
from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.data.spans import Example
from rasa_electra.data.tags import tag_labels
from rasa_electra.model.model_spec import ModelSpec


class DataLoader:
    """Examples for training or evaluation (TFLite Model Maker's name and shape)."""

    def __init__(self, examples: Sequence[Example], spec: ModelSpec) -> None:
        self.examples = list(examples)
        self.spec = spec

    @classmethod
    def from_rasa_yaml(cls, path: str | Path, spec: ModelSpec) -> DataLoader:
        """Any Rasa NLU file, read by Rasa's own loader (a bot's data as much as GSD)."""
        return cls(read_rasa_data(path), spec)

    @classmethod
    def from_bio(
        cls, path: str | Path, spec: ModelSpec, repair_orphan_inside: bool = False
    ) -> DataLoader:
        return cls(read_bio(path, repair_orphan_inside=repair_orphan_inside).examples, spec)

    @property
    def tag_labels(self) -> list[str]:
        """What the tagger learns: entity labels, with roles and groups joined in."""
        return tag_labels(self.examples)

    def __len__(self) -> int:
        return len(self.examples)

    def __iter__(self) -> Iterator[Example]:
        return iter(self.examples)
