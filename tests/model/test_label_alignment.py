"""A start point's head carried to a bot's own label names: alignment by overlap, an entity
map's precedence, a label nothing tags, roles on an aligned label."""

import logging

import numpy as np
import pytest

from rasa_electra.data.spans import Example, Span, relabel
from rasa_electra.model import model_spec
from rasa_electra.model.head import mix, seed_columns
from rasa_electra.model.label_alignment import Alignment, align, overlap_shares

USER_NAMES = {"PERSON": "person_name", "GPE": "place", "ORG": "company", "DATE": "when"}


def test_shares_are_the_characters_each_head_label_covers():
    gold = [Example("山田太郎は東京へ", (Span(0, 4, "person_name"), Span(5, 7, "place")))]
    tagged = [Example("山田太郎は東京へ", (Span(0, 2, "PERSON"), Span(2, 4, "ORG"),
                                       Span(5, 6, "GPE")))]  # fmt: skip
    shares = overlap_shares(gold, tagged)
    assert shares == {"person_name": {"PERSON": 0.5, "ORG": 0.5}, "place": {"GPE": 0.5}}
    # a head label under a tenth of a label's characters seeds nothing
    long = [Example("あ" * 20, (Span(0, 20, "x"),))]
    assert overlap_shares(long, [Example("あ" * 20, (Span(0, 1, "PERSON"),))]) == {"x": {}}


@pytest.fixture(scope="module")
def alignment(exported_tiny, examples):
    renamed, _ = relabel(examples, USER_NAMES)
    return align(model_spec.get(exported_tiny), renamed)


def test_each_new_label_is_seeded_from_the_head_labels_that_tag_its_spans(alignment):
    person = alignment.shares["person_name"]
    assert max(person, key=person.get) == "PERSON" and person["PERSON"] > 0.5
    assert max(alignment.shares["place"], key=alignment.shares["place"].get) == "GPE"
    assert any(line.startswith("person_name ← PERSON (") for line in alignment.lines())


def test_a_label_nothing_tags_starts_from_nothing():
    alignment = Alignment({"dish": {}, "place": {"GPE": 0.87, "LOC": 0.13}})
    assert alignment.origins() == {"place": {"GPE": 0.87, "LOC": 0.13}}
    assert alignment.lines() == ["dish ← nothing", "place ← GPE (0.87), LOC (0.13)"]
    head = ["O", "B-GPE", "I-GPE", "B-LOC", "I-LOC"]
    seeds = seed_columns(["O", "B-dish", "B-place"], head, alignment.origins())
    assert seeds == {0: {0: 1.0}, 2: {1: 0.87, 3: 0.13}}  # B-dish: a fresh row


def test_an_aligned_label_s_roles_start_where_it_does(exported_tiny, alignment):
    spec = model_spec.get(exported_tiny)
    head = spec.head_tags()
    labels = ["O", "B-place|role=from", "I-place|role=from"]
    seeds = seed_columns(labels, head, alignment.origins())
    shares = alignment.origins()["place"]
    assert seeds[1] == {head.index(f"B-{h}"): w for h, w in shares.items()}
    assert seeds[2] == {head.index(f"I-{h}"): w for h, w in shares.items()}
    # a weighted seed is the weighted mean of the head's columns
    old = np.arange(12, dtype=float).reshape(3, 4)
    mixed = mix(old, {0: 3.0, 2: 1.0})
    assert np.allclose(mixed, (3 * old[..., 0] + old[..., 2]) / 4)


def test_no_alignment_when_the_head_knows_every_label_or_there_is_no_head(
    exported_tiny, pytorch_layout_dir, examples
):
    assert align(model_spec.get(exported_tiny), examples) is None  # GSD's own names
    assert align(model_spec.get(pytorch_layout_dir), relabel(examples, USER_NAMES)[0]) is None


def test_align_labels_logs_what_it_carried_and_an_entity_map_takes_precedence(
    exported_tiny, examples, caplog
):
    from rasa_electra.components.electra_config import ExtractorConfig
    from rasa_electra.components.electra_entity_extractor import ElectraEntityExtractor
    from rasa_electra.components.trainable import label_origins

    renamed, _ = relabel(examples, USER_NAMES)
    defaults = ElectraEntityExtractor.get_default_config()
    off = ExtractorConfig.parse({**defaults, "pretrained": str(exported_tiny)})
    assert label_origins(off, model_spec.get(exported_tiny), relabel(examples, USER_NAMES)[0]) == {}
    base = {**defaults, "pretrained": str(exported_tiny), "align_labels": True}
    spec = model_spec.get(exported_tiny)
    with caplog.at_level(logging.INFO):
        aligned = label_origins(ExtractorConfig.parse(base), spec, renamed)
    assert max(aligned["person_name"], key=aligned["person_name"].get) == "PERSON"
    assert any("person_name ← PERSON" in r.getMessage() for r in caplog.records)
    caplog.clear()
    told = ExtractorConfig.parse({**base, "entity_map": {"ORG": "person_name"}})
    with caplog.at_level(logging.INFO):
        assert label_origins(told, spec, renamed) == {"person_name": ["ORG"]}
    assert not any("←" in r.getMessage() for r in caplog.records)  # the map, not the head
