"""Words with offsets that are exact in the original text, whichever analyser cuts them.

An analyser (MeCab, Sudachi) reports surfaces or offsets of the text it was given; it may stop
at a NUL character (C strings) and cannot take lone surrogates. ``WordSegmenter`` cuts the text
at those characters, lets the analyser place its words, optionally runs it on NFKC text and maps
each word back. Two guarantees follow, for any input string and any analyser:

* every word satisfies ``text[word.start:word.end] == word.text``, words are in order and disjoint;
* every non-whitespace character belongs to exactly one word (nothing is dropped), while
  whitespace — including full-width spaces, tabs, newlines — belongs to none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rasa_electra.tokenization.normalization import Normalized, normalize

_UNPARSEABLE = re.compile(r"[\x00\ud800-\udfff]")
NON_SPACE = re.compile(r"\S+")


@dataclass(frozen=True)
class Word:
    """A word: surface text, character offsets, and the analyser's part of speech and lemma."""

    text: str
    start: int
    end: int
    pos: str | None = None
    lemma: str | None = None
    # what the subword vocabulary sees, when it is not the surface: the NFKC text the analyser
    # saw, or the word form a checkpoint was pretrained on (Sudachi's dictionary form)
    form: str | None = None


class WordSegmenter:
    """The common part of every word tokenizer: cutting, normalization, offsets.

    Subclasses implement ``_analyse`` (words of a piece free of NUL and surrogates, offsets
    relative to ``base``) and ``settings`` (what recreates them: saved with a model)."""

    normalization: str | None = None

    def tokenize(self, text: str) -> list[Word]:
        if self.normalization is None:
            return self._segment(text)
        normalized = normalize(text, self.normalization)
        return in_original(normalized, self._segment(normalized.text))

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each word: what ``data.alignment.count_misaligned`` checks."""
        return [(word.start, word.end) for word in self.tokenize(text)]

    def settings(self) -> dict[str, Any]:
        raise NotImplementedError

    def _analyse(self, piece: str, base: int) -> Iterator[Word]:
        raise NotImplementedError

    def _segment(self, text: str) -> list[Word]:
        words: list[Word] = []
        cursor = 0
        for stop in _UNPARSEABLE.finditer(text):
            words.extend(self._analyse(text[cursor : stop.start()], cursor))
            words.append(Word(stop.group(), stop.start(), stop.end()))
            cursor = stop.end()
        words.extend(self._analyse(text[cursor:], cursor))
        return words


def plain_words(piece: str, start: int, end: int, base: int) -> Iterator[Word]:
    """Non-space runs of ``piece[start:end]`` as words of their own (what an analyser skipped)."""
    for match in NON_SPACE.finditer(piece, start, end):
        yield Word(match.group(), base + match.start(), base + match.end())


def in_original(normalized: Normalized, words: list[Word]) -> list[Word]:
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
        result.extend(plain_words(original, cursor, start, 0))
        seen = normalized.text[norm_start:norm_end]
        form = word.form if word.form and norm_end - norm_start == len(word.text) else seen
        text = original[start:end]
        result.append(Word(text, start, end, word.pos, word.lemma, None if form == text else form))
        cursor = end
    result.extend(plain_words(original, cursor, len(original), 0))
    return result
