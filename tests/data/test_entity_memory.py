"""The training data's labels per entity text, relabelling decoded spans."""

import json

import pytest

from rasa_electra.data.entity_memory import MEMORY_FILE, EntityMemory
from rasa_electra.data.spans import Example, Span

TRAIN = [
    Example("アラゴンの王", (Span(0, 4, "GPE"),)),
    Example("アラゴンへ行く", (Span(0, 4, "GPE"),)),
    Example("アラゴンは強い", (Span(0, 4, "GPE"),)),
    Example("アラゴンさん", (Span(0, 4, "PERSON"),)),
    Example("日本の会社", (Span(0, 2, "GPE"),)),
    Example("日本を代表", (Span(0, 2, "ORG"),)),
]
LABELS = ["O", "B-GPE", "I-GPE", "B-ORG", "I-ORG", "B-PERSON", "I-PERSON"]


def test_a_text_the_training_data_labelled_mostly_one_way_takes_that_label():
    memory = EntityMemory.learn(TRAIN, min_share=0.7)
    assert memory.counts["アラゴン"] == {"GPE": 3, "PERSON": 1}
    predicted = Example("アラゴンと日本と大阪", (
        Span(0, 4, "PERSON", role="from", confidence=0.9),  # 3 of 4 say GPE: relabelled
        Span(5, 7, "PERSON", confidence=0.8),  # GPE and ORG half each: the model's label stays
        Span(8, 10, "PERSON", confidence=0.7),  # never seen: stays
    ))  # fmt: skip
    relabelled = memory.relabel(predicted)
    first, second, third = relabelled.spans
    assert (first.start, first.end, first.label, first.role) == (0, 4, "GPE", None)
    assert first.confidence == pytest.approx(0.75)  # the memory's share for GPE
    assert (second, third) == predicted.spans[1:] and second.confidence == 0.8
    # a stricter share leaves even アラゴン alone; spans are never added or moved
    assert EntityMemory.learn(TRAIN, min_share=0.8).relabel(predicted) == predicted
    assert memory.relabel(Example("アラゴン")) == Example("アラゴン")


def test_a_span_already_labelled_as_the_memory_says_keeps_its_role_and_confidence():
    memory = EntityMemory.learn(TRAIN, min_share=0.7)
    span = Span(0, 4, "GPE", role="to", confidence=0.6)
    assert memory.relabel(Example("アラゴンへ", (span,))).spans == (span,)
    assert memory.relabel(Example("アラゴンへ", (span,))).spans[0].role == "to"


def test_the_memory_round_trips_keyed_by_the_exports_labels(tmp_path):
    memory = EntityMemory.learn(TRAIN, min_share=0.7)
    memory.save(tmp_path, LABELS)
    assert EntityMemory.load(tmp_path, LABELS) == memory
    assert EntityMemory.load(tmp_path, LABELS, min_share=0.9).min_share == 0.9
    assert EntityMemory.load(tmp_path / "none", LABELS) is None  # an export without one
    with pytest.raises(ValueError, match=rf"{MEMORY_FILE}: not a memory of entity labels.*labels"):
        EntityMemory.load(tmp_path, [*LABELS, "B-LOC"])
    body = json.loads((tmp_path / MEMORY_FILE).read_text(encoding="utf-8"))
    body["counts"]["日本"] = ["GPE"]
    (tmp_path / MEMORY_FILE).write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(ValueError, match="not a memory of entity labels"):
        EntityMemory.load(tmp_path, LABELS)


@pytest.mark.parametrize("share", [0.5, 0.0, 1.5])
def test_a_share_that_could_pick_between_ties_is_refused(share):
    with pytest.raises(ValueError, match=r"entity_memory must be a share in \(0\.5, 1\]"):
        EntityMemory.learn(TRAIN, min_share=share)
