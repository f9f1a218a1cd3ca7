"""JSON files an export keeps beside its SavedModel, keyed by the export's labels.

A CRF head's transitions and the word-feature tables are read by every backend on the host.
Each file records the label list its rows and columns follow, so a reordered or retrained label
list can never silently pair the wrong scores: reading checks it before anything is used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def write_label_keyed(path: Path, labels: Sequence[str], body: dict[str, Any]) -> Path:
    """``body`` with the labels it is keyed by, as one line of JSON."""
    path.write_text(
        json.dumps({"labels": list(labels), **body}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path


def read_label_keyed(
    path: Path, labels: Sequence[str], what: str, parse: Callable[[dict[str, Any]], T]
) -> T | None:
    """``parse(body)`` of the file at ``path``, or None when there is none. A file that is not
    JSON, lacks a key, is keyed by other labels, or that ``parse`` rejects (``ValueError``,
    ``KeyError``, ``TypeError``) raises one ``ValueError`` naming the file and ``what`` it
    should be."""
    if not path.is_file():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if list(body["labels"]) != list(labels):
            raise ValueError("its labels are not the export's")
        return parse(body)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a {what} for this export ({error})") from error
