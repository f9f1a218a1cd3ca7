"""Which word segmenter a name stands for: the one place MeCab and Sudachi options are read.

A dictionary name picks the analyser: ``ipadic``, ``unidic_lite``, ``unidic`` are MeCab's
(fugashi); ``sudachi`` (core dictionary), ``sudachi_small``, ``sudachi_core``, ``sudachi_full``
are Sudachi's, cut in ``split_mode`` A, B or C. Saved settings (``subword_tokenizer.json``) and
the Rasa tokenizer's options both come through here.
"""

from __future__ import annotations

from typing import Any

from rasa_electra.tokenization.mecab import DICTIONARIES as MECAB_DICTIONARIES
from rasa_electra.tokenization.mecab import MecabTokenizer
from rasa_electra.tokenization.sudachi import DICTIONARIES as SUDACHI_DICTIONARIES
from rasa_electra.tokenization.sudachi import SudachiTokenizer
from rasa_electra.tokenization.words import WordSegmenter

DICTIONARY_NAMES = (*MECAB_DICTIONARIES, "sudachi",
                    *(f"sudachi_{name}" for name in SUDACHI_DICTIONARIES))  # fmt: skip


def settings_for(
    dictionary: str = "ipadic",
    normalization: str | None = None,
    mecab_args: str | None = None,
    split_mode: str = "C",
) -> dict[str, Any]:
    """The settings of the segmenter a dictionary name stands for."""
    if dictionary not in DICTIONARY_NAMES:
        raise ValueError(f"dictionary must be one of {', '.join(DICTIONARY_NAMES)}, "
                         f"got {dictionary!r}")  # fmt: skip
    if dictionary.startswith("sudachi"):
        return {"words": "sudachi", "dictionary": dictionary.partition("_")[2] or "core",
                "split_mode": split_mode, "normalization": normalization}  # fmt: skip
    return {"words": "mecab", "dictionary": dictionary, "mecab_args": mecab_args,
            "normalization": normalization}  # fmt: skip


def word_segmenter(settings: dict[str, Any]) -> WordSegmenter:
    """The segmenter ``settings`` describe (``words``: ``mecab`` by default, or ``sudachi``)."""
    normalization = settings.get("normalization")
    if settings.get("words", "mecab") == "sudachi":
        return SudachiTokenizer(settings.get("split_mode", "C"), settings.get("dictionary", "core"),
                                settings.get("word_form", "surface"), normalization)  # fmt: skip
    return MecabTokenizer(settings.get("mecab_args"), normalization,
                          settings.get("dictionary") or "ipadic")  # fmt: skip


def settings_named(name: str, normalization: str | None = None) -> dict[str, Any]:
    """Settings from a command line's ``DICTIONARY[:SPLIT_MODE]``: ``ipadic``, ``sudachi:B``."""
    dictionary, _, split_mode = name.partition(":")
    return settings_for(dictionary, normalization, split_mode=split_mode or "C")


def settings_from_options(options: dict[str, Any]) -> dict[str, Any]:
    """The Rasa tokenizer component's options (``dictionary``, ``normalization``,
    ``mecab_args``, ``split_mode``; defaults where absent) as segmenter settings."""
    return settings_for(options.get("dictionary", "ipadic"), options.get("normalization"),
                        options.get("mecab_args"), options.get("split_mode", "C"))  # fmt: skip
