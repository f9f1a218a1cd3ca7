"""NFKC with offsets back to the original text (property-tested against unicodedata)."""

import unicodedata
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasa_electra.tokenization.normalization import normalize

TRICKY = list("ＡＢＣａｂｃ１２３ｶﾞｷﾞﾊﾟﾞ㍿①㈱\u0301\u0323\u3099\u1100\u1161\u11a8 \u3000東京")


@settings(max_examples=1000, deadline=None)
@given(st.text(st.one_of(st.characters(), st.sampled_from(TRICKY))))
def test_the_text_is_nfkc_and_every_character_knows_its_origin(text):
    normalized = normalize(text)
    assert normalized.text == unicodedata.normalize("NFKC", text)
    assert len(normalized.source) == len(normalized.text)
    assert all(0 <= start < end <= len(text) for start, end in normalized.source)
    assert all(a[0] <= b[0] for a, b in pairwise(normalized.source))
    for i, (start, end) in enumerate(normalized.source):  # a segment normalizes to its chars
        assert normalized.text[i] in unicodedata.normalize("NFKC", text[start:end])


@pytest.mark.parametrize(
    "text, word, original",
    [("ＡＢＣ１２３です", (0, 3), "ＡＢＣ"), ("ｶﾞｷﾞ", (1, 2), "ｷﾞ"), ("㍿の", (0, 2), "㍿")],
)
def test_a_normalized_span_maps_to_whole_original_segments(text, word, original):
    normalized = normalize(text)
    start, end = normalized.original_span(*word)
    assert text[start:end] == original


def test_unknown_forms_are_refused():
    with pytest.raises(ValueError, match="NFKC"):
        normalize("x", "NFC")
