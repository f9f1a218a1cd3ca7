"""A start point's entity knowledge carried to a bot's own label names.

The shipped encoder's head knows GSD's labels (PERSON, GPE, …); a bot names its entities its
own way (``person_name``, ``place``). Its head tags the bot's training sentences, and each of the
bot's labels is seeded from the head labels its gold spans were tagged with, weighted by how
many of their characters each covers: ``person_name ← PERSON (0.91)``. An ``entity_map`` says
the same by hand and takes precedence.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rasa_electra.data.spans import Example
from rasa_electra.data.tags import OUTSIDE, entity_labels, entity_of
from rasa_electra.model.model_spec import ModelSpec

# a head label that covers less of a label's gold characters than this does not seed it
MIN_SHARE = 0.1


@dataclass(frozen=True)
class Alignment:
    """Per label of the bot's data, the head labels that seed it, each with its share of the
    label's gold characters; a label with none starts from nothing."""

    shares: dict[str, dict[str, float]]

    def origins(self) -> dict[str, dict[str, float]]:
        """The seeds ``ModelSpec.label_origins`` takes (labels without any left out)."""
        return {label: shares for label, shares in self.shares.items() if shares}

    def lines(self) -> list[str]:
        """One line per label, e.g. ``person_name ← PERSON (0.91)`` or ``dish ← nothing``."""
        return [
            f"{label} ← "
            + (", ".join(f"{head} ({share:.2f})" for head, share in shares.items()) or "nothing")
            for label, shares in self.shares.items()
        ]


def overlap_shares(
    gold: Sequence[Example], tagged: Sequence[Example]
) -> dict[str, dict[str, float]]:
    """For each gold label, the share of its characters each tagged label covers."""
    covered: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for truth, guess in zip(gold, tagged, strict=True):
        for span in truth.spans:
            label = entity_of(span.label)
            total[label] += span.end - span.start
            for other in guess.spans:
                common = min(span.end, other.end) - max(span.start, other.start)
                if common > 0:
                    covered[label][entity_of(other.label)] += common
    return {
        label: {
            head: round(chars / total[label], 4)
            for head, chars in covered[label].most_common()
            if chars / total[label] >= MIN_SHARE
        }
        for label in sorted(total)
    }


def align(spec: ModelSpec, examples: Sequence[Example]) -> Alignment | None:
    """The start point's head over ``examples``, its labels weighed against theirs; None when
    the start point has no head, or its head already knows every label of the data."""
    head_tags = spec.head_tags()
    wanted = {entity_of(s.label) for e in examples for s in e.spans}
    known = {entity_of(label) for label in entity_labels(head_tags)}
    if not head_tags or wanted <= known:
        return None
    tagged = tag_with_head(spec, head_tags, [Example(e.text) for e in examples])
    shares = overlap_shares(examples, tagged)
    return Alignment({label: shares[label] for label in sorted(wanted - known)})


def tag_with_head(spec: ModelSpec, head_tags: list[str], texts: Sequence[Example]) -> list[Example]:
    """The start point with its own head, every row as it was trained, predicting ``texts``
    (Viterbi under the tag scheme on the head's emissions)."""
    from rasa_electra.model.ner import NerModel
    from rasa_electra.model.training_config import TrainingConfig

    if OUTSIDE not in head_tags:
        return [Example(t.text) for t in texts]
    origins, notes, spec.label_origins = spec.label_origins, list(spec.notes), {}
    try:
        model = spec.build_model(list(head_tags))
    finally:  # the tagger leaves no trace on the start point the fine-tuning reads
        spec.label_origins, spec.notes = origins, notes
    tagger = NerModel(spec, model, list(head_tags), TrainingConfig(word_features=(), o_bias=0.0,
                                                                   entity_memory=None))  # fmt: skip
    return tagger.predict(list(texts))
