"""MeCab words must sit exactly on the original text, whatever the text is."""

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasa_electra.tokenization.mecab import MecabTokenizer

MECAB = MecabTokenizer()
MECAB_NFKC = MecabTokenizer(normalization="NFKC")


def check_exact_cover(text: str, mecab: MecabTokenizer = MECAB) -> list[str]:
    words = mecab.tokenize(text)
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


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        st.one_of(
            st.characters(),
            st.sampled_from(list(" \u3000\t\nＡＢＣａｂｃ１２３ｶﾞｷﾞﾊﾟ㍿①㈱ﾞ\u0301\u3099東京タワー")),
        )
    )
)
def test_nfkc_words_sit_exactly_on_the_original_text(text):
    check_exact_cover(text, MECAB_NFKC)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ＡＢＣ１２３です", [("ＡＢＣ", "ABC"), ("１２３", "123"), ("です", None)]),
        ("ｶﾞｷﾞを買った", [("ｶﾞｷﾞ", "ガギ"), ("を", None), ("買っ", None), ("た", None)]),
        ("㍿の株", [("㍿", "株式会社"), ("の", None), ("株", None)]),  # 株式|会社 merge: one ㍿
    ],
)
def test_nfkc_keeps_what_mecab_saw_beside_the_original(text, expected):
    assert [(w.text, w.form) for w in MECAB_NFKC.tokenize(text)] == expected
