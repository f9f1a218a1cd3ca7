"""Structured decoding of word tag scores: the best tag sequence the scheme allows.

Per-word argmax can emit ``O I-X`` or ``B-X I-Y``, which the conlleval reading (``tags.decode``)
turns into entities nobody predicted as such. Viterbi instead finds the highest-scoring sequence
among the valid ones: with the scheme's constraints alone (log-probabilities, no retraining), or
with a learned linear-chain CRF's transition scores added (``Transitions``).

The scheme is read off the labels (``S-``/``E-`` tags mean BIOES), so an export needs no extra
setting. A tag outside the scheme (e.g. a TF1 label map's ``[CLS]`` or ``X``) is never chosen.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rasa_electra.data.side_files import read_label_keyed, write_label_keyed
from rasa_electra.data.tags import OUTSIDE

NEG = -1e9  # the score of a forbidden start, transition or end: finite, so sums stay ordered
TRANSITIONS_FILE = "transitions.json"


def _parse(tag: str) -> tuple[str, str | None]:
    """``B-GPE`` → (``B``, ``GPE``); ``O`` → (``O``, None); anything else → (``?``, None)."""
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, _, label = tag.partition("-")
    return (prefix, label) if prefix in "BIES" and len(prefix) == 1 and label else ("?", None)


def scheme_of(labels: Sequence[str]) -> str:
    """``BIOES`` when any tag is ``E-``/``S-``, else ``BIO``."""
    return "BIOES" if any(_parse(t)[0] in ("E", "S") for t in labels) else "BIO"


@dataclass(frozen=True)
class Constraints:
    """Which tags may start or end a sequence and which may follow which (boolean masks)."""

    start: np.ndarray  # [labels]
    allowed: np.ndarray  # [previous, current]
    end: np.ndarray  # [labels]

    @classmethod
    def for_labels(cls, labels: Sequence[str]) -> Constraints:
        """BIO: ``I-X`` only after ``B-X``/``I-X``. BIOES as well: after ``B-X``/``I-X`` only
        ``I-X``/``E-X``, elsewhere only ``O``/``B-``/``S-``; a sequence ends closed."""
        parsed = [_parse(t) for t in labels]
        bioes = scheme_of(labels) == "BIOES"
        continuing = ("I", "E") if bioes else ("I",)
        valid = np.array([p != "?" for p, _ in parsed])
        is_open = np.array([p in ("B", "I") for p, _ in parsed])  # an entity goes on after it
        goes_on = np.array([p in continuing for p, _ in parsed])
        names = [label for _, label in parsed]
        same = np.array([[a is not None and a == b for b in names] for a in names], bool)
        if bioes:  # open → its own continuation; closed → anything that does not continue
            allowed = np.where(is_open[:, None], goes_on[None, :] & same, ~goes_on[None, :])
            end = valid & ~is_open
        else:
            allowed = np.where(goes_on[None, :], is_open[:, None] & same, True)
            end = valid
        allowed &= valid[:, None] & valid[None, :]
        return cls(valid & ~goes_on, allowed, end)

    def is_valid(self, path: Sequence[int]) -> bool:
        """Whether a tag index sequence obeys the scheme (the empty one does)."""
        if not len(path):
            return True
        steps = all(self.allowed[a, b] for a, b in itertools.pairwise(path))
        return bool(self.start[path[0]] and self.end[path[-1]] and steps)


@dataclass(frozen=True)
class Transitions:
    """A linear-chain CRF's learned scores: start [labels], transition [prev, cur], end."""

    start: np.ndarray
    transition: np.ndarray
    end: np.ndarray

    @classmethod
    def zeros(cls, n_labels: int) -> Transitions:
        return cls(np.zeros(n_labels), np.zeros((n_labels, n_labels)), np.zeros(n_labels))

    def save(self, directory: Path, labels: Sequence[str]) -> Path:
        """``transitions.json`` beside the export, keyed by its labels."""
        body = {name: getattr(self, name).tolist() for name in ("start", "transition", "end")}
        return write_label_keyed(Path(directory) / TRANSITIONS_FILE, labels, body)

    @classmethod
    def load(cls, directory: Path, labels: Sequence[str]) -> Transitions | None:
        """The export's learned transitions, or None when it has none (constraints only)."""
        n = len(labels)

        def parse(body: dict) -> Transitions:
            found = cls(*(np.asarray(body[k], np.float64) for k in ("start", "transition", "end")))
            if (found.start.shape, found.transition.shape, found.end.shape) != ((n,), (n, n), (n,)):
                raise ValueError("its shapes are not the labels'")
            return found

        return read_label_keyed(
            Path(directory) / TRANSITIONS_FILE, labels, "transitions file", parse
        )


def viterbi(
    log_scores: np.ndarray,
    constraints: Constraints,
    transitions: Transitions | None = None,
) -> list[int]:
    """The best valid tag index sequence for ``log_scores`` [words, labels].

    The score of a path is the sum of its words' scores plus, with ``transitions``, its start,
    transition and end scores. Forbidden moves score ``NEG``, so the result is always valid
    when any valid path exists (``O`` everywhere always is).
    """
    words, n = log_scores.shape if log_scores.ndim == 2 else (0, 0)
    if words == 0:
        return []
    start = np.where(constraints.start, 0.0, NEG)
    step = np.where(constraints.allowed, 0.0, NEG)
    end = np.where(constraints.end, 0.0, NEG)
    if transitions is not None:
        start = start + transitions.start
        step = step + transitions.transition
        end = end + transitions.end
    # [current, previous], so each step reduces along contiguous rows: about twice as fast
    # as [previous, current] for an export's 40-odd tags, where numpy's overhead per call rules
    into = np.ascontiguousarray(step.T)
    rows = np.arange(n)
    score = start + log_scores[0]
    back = np.zeros((words, n), np.int64)
    for t in range(1, words):
        candidates = into + score
        back[t] = candidates.argmax(axis=1)
        score = candidates[rows, back[t]] + log_scores[t]
    best = [int((score + end).argmax())]
    for t in range(words - 1, 0, -1):
        best.append(int(back[t, best[-1]]))
    return best[::-1]


def log_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """Natural logs, with underflowed zeros kept finite (they stay the worst choice)."""
    return np.log(np.maximum(probabilities.astype(np.float64), 1e-300))


DECODINGS = ("viterbi", "argmax")


def check_o_bias(value: object) -> float:
    """``value`` as an O bias (any finite number, in log-probability units), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"o_bias must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Decoder:
    """Word tag probabilities → tag indices, the one way every runtime decodes.

    ``viterbi`` (the default) is the best valid sequence, with the export's learned
    ``transitions`` when it has them; ``argmax`` is the per-word best tag, read by the conlleval
    rule (kept to measure what structure buys).

    ``o_bias`` is added to ``O``'s log-probability at every word before either: above 0 the
    model needs more evidence to open an entity, so it trades recall for precision (a
    fine-tuned tagger over-predicts entities on new text; the default is chosen on dev).
    """

    labels: tuple[str, ...]
    transitions: Transitions | None = None
    method: str = "viterbi"
    o_bias: float = 0.0

    def __post_init__(self) -> None:
        if self.method not in DECODINGS:
            raise ValueError(f"decoding must be one of {DECODINGS}, got {self.method!r}")
        check_o_bias(self.o_bias)
        object.__setattr__(self, "labels", tuple(self.labels))
        if self.o_bias and OUTSIDE not in self.labels:
            raise ValueError(f"o_bias needs an {OUTSIDE!r} tag among the labels")
        object.__setattr__(self, "_constraints", Constraints.for_labels(self.labels))
        # the column the bias goes to, found once rather than per text
        outside = self.labels.index(OUTSIDE) if OUTSIDE in self.labels else None
        object.__setattr__(self, "_outside", outside)

    @property
    def constraints(self) -> Constraints:
        return self._constraints  # type: ignore[attr-defined]

    def best(self, probabilities: np.ndarray) -> np.ndarray:
        """Tag indices for one text's [words, labels] probabilities."""
        if len(probabilities) == 0:
            return np.zeros(0, np.int64)
        scores = log_probabilities(probabilities)
        if self.o_bias:
            scores[:, self._outside] += self.o_bias  # type: ignore[attr-defined]
        if self.method == "argmax":
            return scores.argmax(axis=1)
        return np.asarray(viterbi(scores, self.constraints, self.transitions), np.int64)
