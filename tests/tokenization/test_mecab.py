"""MeCab words must sit exactly on the original text, whatever the text is."""

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasa_electra.tokenization.mecab import MecabTokenizer

MECAB = MecabTokenizer()


def check_exact_cover(text: str) -> list[str]:
    words = MECAB.tokenize(text)
    for word in words:
        assert text[word.start : word.end] == word.text
        assert word.text and not word.text.isspace()
    for left, right in pairwise(words):
        assert left.end <= right.start
    covered = {i for w in words for i in range(w.start, w.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), "dropped a character"
    assert all(not text[i].isspace() for i in covered), "a word holds whitespace"
    return [w.text for w in words]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("山田太郎は東京に行った。", ["山田", "太郎", "は", "東京", "に", "行っ", "た", "。"]),
        ("三代目 J SOUL BROTHERS\u3000です", ["三", "代目", "J", "SOUL", "BROTHERS", "です"]),
        ("  半角\t全角\u3000\u3000改行\n\r\nCRLF ", ["半角", "全角", "改行", "CRLF"]),
        ("iPhone 15を12,800円で", ["iPhone", "15", "を", "12", ",", "800", "円", "で"]),
        ("絵文字😀👍🏽とé", None),  # emoji and a combining accent
        ("NUL\x00の後も\x00続く", None),  # MeCab stops at NUL: pieces are analysed apart
        ("孤立\ud800サロゲート", None),  # unencodable in UTF-8
        ("", []),
        (" \u3000\t\n", []),
    ],
)
def test_fixed_cases(text, expected):
    words = check_exact_cover(text)
    if expected is not None:
        assert words == expected


def test_nul_and_surrogate_become_their_own_words():
    words = MECAB.tokenize("a\x00b\ud800c")
    assert [(w.text, w.start) for w in words if w.pos is None] == [("\x00", 1), ("\ud800", 3)]


def test_pos_and_lemma_come_from_ipadic():
    words = {w.text: w for w in MECAB.tokenize("東京に行った")}
    assert words["東京"].pos == "名詞-固有名詞-地域"
    assert words["行っ"].lemma == "行く"


@settings(max_examples=500, deadline=None)
@given(
    st.text(st.one_of(st.characters(), st.sampled_from(list(" \u3000\t\n\r東京タワーａｂ１２"))))
)
def test_any_unicode_text_is_covered_exactly(text):
    check_exact_cover(text)
