"""MeCab (fugashi + ipadic by default) words with offsets that are exact in the original text.

MeCab reports surfaces, not offsets, and silently skips whitespace: every surface is located in
the original text by search. ``words.WordSegmenter`` gives the guarantees (exact offsets,
nothing dropped) and the NFKC option.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rasa_electra.tokenization.words import NON_SPACE, Word, WordSegmenter, plain_words

_UNSET = "*"
__all__ = ["DICTIONARIES", "DictionaryMissing", "MecabTokenizer", "Word", "mecab_args_for"]

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


class MecabTokenizer(WordSegmenter):
    """Segments Japanese text into ``Word``s with MeCab.

    ``mecab_args`` defaults to ``dictionary``'s package (ipadic, unidic_lite, unidic); pass e.g.
    ``"-r /dev/null -d DICDIR -u user.dic"`` to add a user dictionary. ``normalization="NFKC"``
    segments the NFKC text, as transformers' MecabTokenizer does by default, and maps each word
    back to the original characters (``Word.form`` keeps what MeCab saw).
    """

    def __init__(
        self,
        mecab_args: str | None = None,
        normalization: str | None = None,
        dictionary: str = "ipadic",
    ) -> None:
        import fugashi

        self.mecab_args = mecab_args or mecab_args_for(dictionary)
        self.normalization = normalization
        self.dictionary = dictionary
        self._tagger = fugashi.GenericTagger(self.mecab_args)
        self._explicit_args = mecab_args

    def settings(self) -> dict[str, Any]:
        """The dictionary by package name (a path differs between machines), unless the
        arguments were given explicitly."""
        return {"words": "mecab", "dictionary": self.dictionary,
                "mecab_args": self._explicit_args, "normalization": self.normalization}  # fmt: skip

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
            yield from plain_words(piece, cursor, found, base)  # skipped non-space characters
            pos, lemma = _pos_and_lemma(tuple(node.feature))
            for part in NON_SPACE.finditer(surface):
                start = base + found + part.start()
                yield Word(part.group(), start, start + len(part.group()), pos, lemma)
            cursor = found + len(surface)
        yield from plain_words(piece, cursor, len(piece), base)
