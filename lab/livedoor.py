"""The livedoor News Corpus (ldcc-20140209): 9 category folders of articles.

Each article file is line 1 URL, line 2 date, line 3 title, then the body. Used as pretraining
text and as the document-classification probe of a pretrained encoder's quality.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HEADER_LINES = 3  # URL, date, title


@dataclass(frozen=True)
class Article:
    category: str
    title: str
    body: list[str]  # non-empty body lines
    path: Path

    @property
    def text(self) -> str:
        """Title and body as one text, the probe's input."""
        return "\n".join([self.title, *self.body])


def categories(root: str | Path) -> list[str]:
    """Category folder names, sorted (the probe's label order)."""
    root = Path(root)
    found = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not found:
        raise FileNotFoundError(f"{root} has no category folders (is it the livedoor corpus?)")
    return found


def read_articles(root: str | Path) -> Iterator[Article]:
    """Every article, category by category, in file-name order; LICENSE files are skipped."""
    root = Path(root)
    for category in categories(root):
        for path in sorted((root / category).glob(f"{category}-*.txt")):
            lines = path.read_text(encoding="utf-8").splitlines()
            if len(lines) < HEADER_LINES:
                raise ValueError(f"{path}:1: an article needs URL, date and title lines")
            body = [line.strip() for line in lines[HEADER_LINES:] if line.strip()]
            yield Article(category, lines[2].strip(), body, path)
