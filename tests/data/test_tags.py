"""Tag schemes and the one decoding rule for invalid tag sequences."""

import pytest

from rasa_electra.data.spans import Span
from rasa_electra.data.tags import decode, label_list, word_tags

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
