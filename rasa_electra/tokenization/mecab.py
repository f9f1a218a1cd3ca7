"""MeCab (fugashi + ipadic) words with offsets that are exact in the original text.

MeCab reports surfaces, not offsets, and silently skips whitespace; it also stops at a NUL
character (C strings) and cannot encode lone surrogates. So the text is cut at those characters,
each piece is analysed, and every surface is located in the original text. Two guarantees follow,
for any input string:

* every word satisfies ``text[word.start:word.end] == word.text``, words are in order and disjoint;
* every non-whitespace character belongs to exactly one word (nothing is dropped), while
  whitespace — including full-width spaces, tabs, newlines — belongs to none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rasa_electra.tokenization.normalization import Normalized, normalize

_UNPARSEABLE = re.compile(r"[\x00\ud800-\udfff]")
_NON_SPACE = re.compile(r"\S+")
_UNSET = "*"


@dataclass(frozen=True)
class Word:
    """A MeCab word: surface text, character offsets, and ipadic's part of speech and lemma."""

    text: str
    start: int
    end: int
    pos: str | None = None
    lemma: str | None = None
    form: str | None = None  # the normalized surface MeCab saw, when normalizing changed it


DICTIONARIES = ("ipadic", "unidic_lite", "unidic")


class DictionaryMissing(ValueError):
    """A MeCab dictionary that is not installed here; says what to install."""


def mecab_args_for(dictionary: str = "ipadic", option: str | None = None) -> str:
    """MeCab arguments for a dictionary package, as transformers' MecabTokenizer builds them
    (``-d DICDIR -r DICDIR/mecabrc``), plus ``option``."""
    import importlib
    import os

    if dictionary not in DICTIONARIES:
        raise ValueError(f"dictionary must be one of {DICTIONARIES}, got {dictionary!r}")
    try:
        module = importlib.import_module(dictionary)
    except ImportError as error:
        hint = " and `python -m unidic download`" if dictionary == "unidic" else ""
        raise DictionaryMissing(
            f"MeCab dictionary {dictionary} is not installed: `pip install "
            f"{dictionary.replace('_', '-')}`{hint}, or pass mecab_args"
        ) from error
    if dictionary == "ipadic" and not option:
        return module.MECAB_ARGS
    mecabrc = os.path.join(module.DICDIR, "mecabrc")
    return f'-d "{module.DICDIR}" -r "{mecabrc}"' + (f" {option}" if option else "")


def _pos_and_lemma(feature: tuple[str, ...]) -> tuple[str | None, str | None]:
    """POS levels 0-2 and the lemma: ipadic's base form is field 6; UniDic (26 fields or more)
    has its reading there and the lemma in field 7."""
    levels = [level for level in feature[:3] if level and level != _UNSET]
    index = 7 if len(feature) > 20 else 6
    lemma = feature[index] if len(feature) > index and feature[index] != _UNSET else None
    return ("-".join(levels) or None), lemma


class MecabTokenizer:
    """Segments Japanese text into ``Word``s with MeCab.

    ``mecab_args`` defaults to the ipadic package's dictionary; pass e.g.
    ``"-r /dev/null -d DICDIR -u user.dic"`` to add a user dictionary. ``normalization="NFKC"``
    segments the NFKC text, as transformers' MecabTokenizer does by default, and maps each word
    back to the original characters (``Word.form`` keeps what MeCab saw).
    """

    def __init__(self, mecab_args: str | None = None, normalization: str | None = None) -> None:
        import fugashi

        self.mecab_args = mecab_args or mecab_args_for("ipadic")
        self.normalization = normalization
        self._tagger = fugashi.GenericTagger(self.mecab_args)

    def tokenize(self, text: str) -> list[Word]:
        if self.normalization is None:
            return self._segment(text)
        normalized = normalize(text, self.normalization)
        return _in_original(normalized, self._segment(normalized.text))

    def _segment(self, text: str) -> list[Word]:
        words: list[Word] = []
        cursor = 0
        for stop in _UNPARSEABLE.finditer(text):
            words.extend(self._analyse(text[cursor : stop.start()], cursor))
            words.append(Word(stop.group(), stop.start(), stop.end()))
            cursor = stop.end()
        words.extend(self._analyse(text[cursor:], cursor))
        return words

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each word: what ``data.alignment.count_misaligned`` checks."""
        return [(word.start, word.end) for word in self.tokenize(text)]

    def _analyse(self, piece: str, base: int) -> Iterator[Word]:
        """Analyse text free of NUL and surrogates, placing each surface by search."""
        if not piece.strip():
            return
        cursor = 0
        for node in self._tagger(piece):
            surface = node.surface
            found = piece.find(surface, cursor)
            if found < 0:  # MeCab only ever skips characters, so this means a MeCab change
                raise RuntimeError(f"MeCab surface {surface!r} not found in {piece!r} at {cursor}")
            yield from _plain_words(piece, cursor, found, base)  # skipped non-space characters
            pos, lemma = _pos_and_lemma(tuple(node.feature))
            for part in _NON_SPACE.finditer(surface):
                start = base + found + part.start()
                yield Word(part.group(), start, start + len(part.group()), pos, lemma)
            cursor = found + len(surface)
        yield from _plain_words(piece, cursor, len(piece), base)


def _plain_words(piece: str, start: int, end: int, base: int) -> Iterator[Word]:
    """Non-space runs MeCab skipped (its dictionary may class odd characters as space)."""
    for match in _NON_SPACE.finditer(piece, start, end):
        yield Word(match.group(), base + match.start(), base + match.end())


def _in_original(normalized: Normalized, words: list[Word]) -> list[Word]:
    """Words of the normalized text on the original's characters: each maps to whole segments
    (trimmed of whitespace), words inside one segment merge (``㍿`` → 株式|会社 is one word), and
    any non-space original character left uncovered becomes a word of its own."""
    original = normalized.original
    merged: list[tuple[int, int, int, int, Word]] = []  # original start/end, normalized start/end
    for word in words:
        start, end = normalized.original_span(word.start, word.end)
        while start < end and original[start].isspace():
            start += 1
        while end > start and original[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        if merged and start < merged[-1][1]:
            first = merged[-1]
            merged[-1] = (first[0], max(end, first[1]), first[2], word.end, first[4])
        else:
            merged.append((start, end, word.start, word.end, word))
    result = []
    cursor = 0
    for start, end, norm_start, norm_end, word in merged:
        result.extend(_plain_words(original, cursor, start, 0))
        form = normalized.text[norm_start:norm_end]
        text = original[start:end]
        result.append(Word(text, start, end, word.pos, word.lemma, None if form == text else form))
        cursor = end
    result.extend(_plain_words(original, cursor, len(original), 0))
    return result
