"""Raw text → one sentence per line, a blank line between documents (google-research/electra's
``build_pretraining_dataset`` input), streamed so no corpus is ever held in memory.

Formats:
* ``wiki``: WikiExtractor output with the original write-up's rules — keep lines that end with 。,
  drop lines starting with 。 or ``Category:`` and ``thumb|`` lines, ``<doc …>`` starts a document;
* ``plain``: paragraphs a line each, a blank line between documents (Aozora Bunko here);
* ``lines``: each line is a document of its own (JGLUE's sentences and contexts);
* ``livedoor``: the livedoor News Corpus folder (title and body of each article).
Files ending in ``.xz``, ``.gz`` or ``.bz2`` are read compressed.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from lab.livedoor import read_articles

FORMATS = ("wiki", "plain", "lines", "livedoor")
CLOSING_BRACKETS = "」』）)］】〕〉》”’"
# after 。 (and after the closing brackets right behind it: "…た。」" ends inside the quote, so
# the sentence runs on to the bracket), unless more text follows inside the same bracket
_SENTENCE_END = re.compile(rf"。+[{re.escape(CLOSING_BRACKETS)}]*")
_OPENERS = {"「": "」", "『": "』", "（": "）", "(": ")", "［": "］", "【": "】", "〔": "〕"}

Document = list[str]


def split_sentences(line: str) -> list[str]:
    """Split after 。 — never inside brackets, so a quoted 「…。」 stays in its sentence."""
    sentences, start, depth = [], 0, 0
    index = 0
    while index < len(line):
        char = line[index]
        if char in _OPENERS:
            depth += 1
        elif char in _OPENERS.values() and depth:
            depth -= 1
        elif char == "。" and depth == 0:
            end = _SENTENCE_END.match(line, index).end()
            sentences.append(line[start:end])
            start = index = end
            continue
        index += 1
    sentences.append(line[start:])
    return [s.strip() for s in sentences if s.strip()]


def wiki_keeps(line: str) -> bool:
    """The write-up's line filter for Wikipedia text."""
    return line.endswith("。") and not line.startswith(("。", "Category:")) and "thumb|" not in line


def open_text(path: str | Path) -> TextIO:
    path = Path(path)
    opener = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix, open)
    return opener(path, "rt", encoding="utf-8")


def documents(path: str | Path, format: str) -> Iterator[Document]:
    """Documents of sentences from one source; empty documents are not yielded."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    if format == "livedoor":
        for article in read_articles(path):
            yield _sentences([article.title, *article.body])
        return
    with open_text(path) as handle:
        yield from _documents_from_lines(handle, format)


def _documents_from_lines(lines: Iterable[str], format: str) -> Iterator[Document]:
    document: Document = []
    for raw in lines:
        line = raw.strip()
        if format == "lines":
            if line:
                yield _sentences([line])
            continue
        starts_new = line.startswith("<doc ") or line == "</doc>" if format == "wiki" else not line
        if starts_new:
            if document:
                yield document
            document = []
            continue
        if format == "wiki" and not wiki_keeps(line):
            continue
        document.extend(_sentences([line]))
    if document:
        yield document


def _sentences(lines: Iterable[str]) -> Document:
    return [s for line in lines for s in split_sentences(line) if not s.startswith("。")]


def write_corpus(sources: Iterable[tuple[Path, str]], out: TextIO) -> dict[str, int]:
    """Write every source's documents to ``out``; returns document, sentence and char counts."""
    counts = {"documents": 0, "sentences": 0, "characters": 0}
    for path, format in sources:
        for document in tqdm(documents(path, format), desc=Path(path).name, unit="doc"):
            out.write("\n".join(document) + "\n\n")
            counts["documents"] += 1
            counts["sentences"] += len(document)
            counts["characters"] += sum(map(len, document))
    return counts


def read_corpus(path: str | Path) -> Iterator[Document]:
    """Read back what ``write_corpus`` wrote (blank line between documents)."""
    with open_text(path) as handle:
        yield from _documents_from_lines(handle, "plain")
