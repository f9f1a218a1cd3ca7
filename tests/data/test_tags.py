"""Tag schemes and the one decoding rule for invalid tag sequences."""

import pytest

from rasa_electra.data.spans import Example, Span, SpanError, span_keys
from rasa_electra.data.tags import (
    decode,
    entity_labels,
    label_list,
    tag_label,
    tag_labels,
    with_attribute,
    word_tags,
)

WORDS = [(0, 2), (2, 4), (4, 5), (5, 7), (7, 8)]  # e.g. 山田|太郎|は|東京|へ


def test_label_lists():
    assert label_list(["GPE", "PERSON"]) == ["O", "B-GPE", "I-GPE", "B-PERSON", "I-PERSON"]
    assert label_list(["GPE"], "BIOES") == ["O", "B-GPE", "I-GPE", "E-GPE", "S-GPE"]
    with pytest.raises(ValueError):
        label_list(["GPE"], "IOB1")


def test_word_tags_bio_and_bioes_and_unrepresentable():
    spans = [Span(0, 4, "PERSON"), Span(5, 7, "GPE"), Span(1, 2, "X")]
    tags, missed = word_tags(WORDS, spans)
    assert tags == ["B-PERSON", "I-PERSON", "O", "B-GPE", "O"]
    assert missed == [Span(1, 2, "X")]  # inside 山田: counted, not silently dropped
    tags, _ = word_tags(WORDS, spans, "BIOES")
    assert tags == ["B-PERSON", "E-PERSON", "O", "S-GPE", "O"]


@pytest.mark.parametrize(
    "tags, expected",
    [
        (["B-PERSON", "I-PERSON", "O", "B-GPE", "O"], [(0, 4, "PERSON"), (5, 7, "GPE")]),
        (["I-PERSON", "I-PERSON", "O", "O", "O"], [(0, 4, "PERSON")]),  # I- without B- starts one
        (["B-PERSON", "I-GPE", "O", "O", "O"], [(0, 2, "PERSON"), (2, 4, "GPE")]),  # B-X I-Y: two
        (
            ["B-PERSON", "E-PERSON", "O", "S-GPE", "E-GPE"],
            [(0, 4, "PERSON"), (5, 7, "GPE"), (7, 8, "GPE")],
        ),
        (["B-X", "B-X", "O", "O", "I-X"], [(0, 2, "X"), (2, 4, "X"), (7, 8, "X")]),
    ],
)
def test_decoding_rule(tags, expected):
    assert [(s.start, s.end, s.label) for s, _ in decode(WORDS, tags)] == expected


def test_decode_then_encode_is_identity_on_valid_tags():
    spans = [Span(0, 4, "PERSON"), Span(5, 7, "GPE")]
    for scheme in ("BIO", "BIOES"):
        tags, _ = word_tags(WORDS, spans, scheme)
        assert [s for s, _ in decode(WORDS, tags)] == spans


def test_roles_and_groups_travel_inside_the_tags_and_come_back_on_the_spans():
    words = [(0, 2), (2, 4), (4, 6), (6, 8)]  # 東京 から 大阪 まで
    spans = [
        Span(0, 2, "city", role="from", group="1"),
        Span(4, 6, "city", role="to"),
    ]
    tags, missed = word_tags(words, spans)
    assert not missed
    assert tags == ["B-city|role=from|group=1", "O", "B-city|role=to", "O"]
    assert [span for span, _ in decode(words, tags)] == spans
    assert tag_labels([Example("東京から大阪まで", tuple(spans))]) == [
        "city|role=from|group=1",
        "city|role=to",
    ]
    assert entity_labels(label_list(["city|role=from", "city|role=to", "date"])) == [
        "city",
        "date",
    ]


def test_entity_plus_role_labels_score_a_span_only_with_its_role():
    gold = [
        Example("東京から大阪", (Span(0, 2, "city", role="from"), Span(4, 6, "city", role="to")))
    ]
    swapped = [
        Example("東京から大阪", (Span(0, 2, "city", role="to"), Span(4, 6, "city", role="from")))
    ]
    assert span_keys(with_attribute(gold, "role")[0]) == [(0, 2, "city|role=from"),
                                                          (4, 6, "city|role=to")]  # fmt: skip

    def keys(examples, attribute):
        return [span_keys(example) for example in with_attribute(examples, attribute)]

    assert keys(gold, "role") != keys(swapped, "role")
    assert keys(gold, "group") == keys(swapped, "group")


def test_a_role_name_the_tags_cannot_carry_is_a_span_error():
    with pytest.raises(SpanError, match="cannot hold"):
        tag_label(Span(0, 2, "city", role="a|b"))
