"""Word-level features from the analyser's own words: what the CRF baseline's edge is made of.

The CRF sees MeCab's part of speech (固有名詞 / 人名 / 地域 / 組織 …) of a word and its neighbours,
and the word's shape. These functions give the same facts as strings per word, computed from the
``Word``s the tokenizer already segmented (no second analysis), so training and serving read
them from one place.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence

from rasa_electra.tokenization.words import Word

EDGE = "<edge>"  # the neighbour of the first or last word


def char_class(char: str) -> str:
    """K kanji, H hiragana, T katakana, L Latin letter, D digit, S anything else."""
    if char.isdigit():
        return "D"
    name = unicodedata.name(char, "")
    if name.startswith("CJK UNIFIED") or char in "々〆ヵヶ":
        return "K"
    if name.startswith("HIRAGANA"):
        return "H"
    if name.startswith("KATAKANA") or char == "ー":
        return "T"
    if char.isalpha() and name.startswith(("LATIN", "FULLWIDTH LATIN")):
        return "L"
    return "S"


@functools.lru_cache(maxsize=65_536)  # per message, every word's shape is asked for
def shape(text: str) -> str:
    """The word's first and last character class and whether it is one character: 人 → K1,
    東京 → KK+, トヨタ → TT+, ３月 → DK+."""
    if not text:
        return ""
    return f"{char_class(text[0])}{char_class(text[-1])}{'1' if len(text) == 1 else '+'}"


def _pos(words: Sequence[Word], index: int) -> str:
    if 0 <= index < len(words):
        return words[index].pos or ""
    return EDGE


FEATURES: dict[str, Callable[[Sequence[Word], int], str]] = {
    "pos": lambda words, i: _pos(words, i),
    "pos-1": lambda words, i: _pos(words, i - 1),
    "pos+1": lambda words, i: _pos(words, i + 1),
    "shape": lambda words, i: shape(words[i].text),
    # the CRF's `low`, `prefix2` and `suffix2` (a word seen once in training is unknown)
    "word": lambda words, i: words[i].text.lower(),
    "prefix2": lambda words, i: words[i].text[:2].lower(),
    "suffix2": lambda words, i: words[i].text[-2:].lower(),
}


def check_names(names: Sequence[str]) -> None:
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise ValueError(
            f"unknown word feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}"
        )


def feature_values(words: Sequence[Word], names: Sequence[str]) -> list[list[str]]:
    """Per word, the value of each named feature."""
    return [[FEATURES[name](words, i) for name in names] for i in range(len(words))]
