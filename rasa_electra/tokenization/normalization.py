"""Unicode normalization that keeps offsets: NFKC text plus, for each of its characters, the
span of the original text it came from.

transformers' ``MecabTokenizer`` normalizes with NFKC before MeCab (``normalize_text=True``),
so a checkpoint pretrained that way saw ``ＡＢＣ１２３`` as ``ABC123``. To cut text the same way
and still report entities on the user's own characters, the text is split into the smallest
segments that normalize independently (a base character with what composes with it: ``ｶﾞ``,
``e``+U+0301, Hangul jamo), each segment is normalized alone, and every output character
remembers its segment. A word found in the normalized text maps back to whole segments.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

FORMS = ("NFKC",)


@dataclass(frozen=True)
class Normalized:
    """``text`` (normalized) and ``source[i]``: the original (start, end) of ``text[i]``."""

    original: str
    text: str
    source: tuple[tuple[int, int], ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of normalized ``text[start:end]`` (whole segments)."""
        if start >= end:
            raise ValueError(f"empty span {start}:{end}")
        return self.source[start][0], self.source[end - 1][1]


def normalize(text: str, form: str = "NFKC") -> Normalized:
    """``text`` in ``form`` with offsets back to ``text`` (see the module docstring)."""
    if form not in FORMS:
        raise ValueError(f"normalization must be one of {FORMS}, got {form!r}")
    pieces: list[str] = []
    source: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = start + 1
        # grow the segment while the next character does not normalize on its own
        while end < len(text) and not _separable(text[start:end], text[end], form):
            end += 1
        piece = unicodedata.normalize(form, text[start:end])
        pieces.append(piece)
        source.extend([(start, end)] * len(piece))
        start = end
    joined = "".join(pieces)
    if joined != unicodedata.normalize(form, text):  # a composition the segments missed
        whole = unicodedata.normalize(form, text)
        return Normalized(text, whole, tuple([(0, len(text))] * len(whole)))
    return Normalized(text, joined, tuple(source))


def _separable(segment: str, following: str, form: str) -> bool:
    together = unicodedata.normalize(form, segment + following)
    return together == unicodedata.normalize(form, segment) + unicodedata.normalize(
        form, following
    ) and not unicodedata.combining(following)
