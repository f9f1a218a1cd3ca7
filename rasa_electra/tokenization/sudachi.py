"""Sudachi words (SudachiPy + SudachiDict) with offsets exact in the original text.

Sudachi reports each morpheme's character offsets itself. Split modes A (shortest units), B and
C (named-entity-sized units) cut the same text at different grains. ``word_form`` says which
form the subword vocabulary sees, as SudachiTra's ``word_form_type`` does (megagonlabs'
checkpoints were pretrained on ``dictionary_and_surface``: conjugating words as written, every
other word in its dictionary form, e.g. ＡＢＣ → ABC); the word's offsets stay those of its surface.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rasa_electra.tokenization.words import NON_SPACE, Word, WordSegmenter

SPLIT_MODES = ("A", "B", "C")
DICTIONARIES = ("small", "core", "full")
# SudachiTra's word forms this project reproduces (its half-ASCII and conjugation-preserving
# variants are not used by a published checkpoint and stop with an error)
WORD_FORMS = ("surface", "dictionary", "normalized", "dictionary_and_surface",
              "normalized_and_surface")  # fmt: skip
CONJUGATING = {"動詞", "形容詞", "助動詞"}  # SudachiTra's CONJUGATIVE_POS


class SudachiMissing(ValueError):
    """SudachiPy or the dictionary package is not installed; says what to install."""


class SudachiTokenizer(WordSegmenter):
    """Segments Japanese text into ``Word``s with Sudachi (POS levels 0–2, dictionary form)."""

    def __init__(
        self,
        split_mode: str = "C",
        dictionary: str = "core",
        word_form: str = "surface",
        normalization: str | None = None,
    ) -> None:
        split_mode = split_mode.upper()
        if split_mode not in SPLIT_MODES:
            raise ValueError(f"split_mode must be one of {SPLIT_MODES}, got {split_mode!r}")
        if dictionary not in DICTIONARIES:
            raise ValueError(f"dictionary must be one of {DICTIONARIES}, got {dictionary!r}")
        if word_form not in WORD_FORMS:
            raise ValueError(f"word_form must be one of {WORD_FORMS}, got {word_form!r}")
        try:
            from sudachipy import Dictionary, SplitMode

            self._dictionary = Dictionary(dict=dictionary)
        except (ImportError, ModuleNotFoundError) as error:
            raise SudachiMissing(
                f"Sudachi words need SudachiPy and sudachidict_{dictionary}: "
                f"`pip install sudachipy sudachidict-{dictionary}`"
            ) from error
        self.split_mode, self.dictionary, self.word_form = split_mode, dictionary, word_form
        self.normalization = normalization
        self._tagger = self._dictionary.create(getattr(SplitMode, split_mode))

    def settings(self) -> dict[str, Any]:
        return {"words": "sudachi", "split_mode": self.split_mode, "dictionary": self.dictionary,
                "word_form": self.word_form, "normalization": self.normalization}  # fmt: skip

    def _form(self, morpheme) -> str:
        """The form SudachiTra's word formatter gives ``morpheme``."""
        kind = self.word_form
        if kind.endswith("_and_surface"):
            if morpheme.part_of_speech()[0] in CONJUGATING:
                return morpheme.surface()
            kind = kind.removesuffix("_and_surface")
        if kind == "dictionary":
            return morpheme.dictionary_form()
        if kind == "normalized":
            return morpheme.normalized_form()
        return morpheme.surface()

    def _analyse(self, piece: str, base: int) -> Iterator[Word]:
        for start, chunk in _chunks(piece):
            yield from self._analyse_chunk(chunk, base + start)

    def _analyse_chunk(self, piece: str, base: int) -> Iterator[Word]:
        if not piece.strip():
            return
        for morpheme in self._tagger.tokenize(piece):
            surface = morpheme.surface()
            levels = [p for p in morpheme.part_of_speech()[:3] if p and p != "*"]
            pos, lemma = "-".join(levels) or None, morpheme.dictionary_form()
            form = self._form(morpheme)
            parts = list(NON_SPACE.finditer(surface))
            for part in parts:
                start = base + morpheme.begin() + part.start()
                whole = len(parts) == 1 and part.group() == surface
                yield Word(part.group(), start, start + len(part.group()), pos, lemma,
                           form if whole and form != surface else None)  # fmt: skip


# Sudachi refuses input over 49,149 UTF-8 bytes; 12,000 characters are at most 48,000 bytes
CHUNK_CHARACTERS = 12_000
_BREAKS = ("\n", "。", "！", "？", "!", "?", " ", "\u3000")


def _chunks(text: str, size: int = CHUNK_CHARACTERS) -> Iterator[tuple[int, str]]:
    """(offset, chunk) pieces of ``text`` Sudachi accepts, cut after the last line or sentence
    end (else space) in each window, so that words are not split at a chunk edge."""
    start = 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = max(window.rfind(mark) for mark in _BREAKS) + 1 or size
        yield start, text[start : start + cut]
        start += cut
    yield start, text[start:]
