"""A linear-chain CRF output layer over word tags, trained jointly with the encoder.

The encoder's logits at each word's first piece are the emission scores; the CRF adds learned
start, transition and end scores. Moves the tag scheme forbids (``data.viterbi.Constraints``)
are masked in training too, so the model normalises over exactly the sequences that decoding
can produce. The export keeps serving per-word softmax probabilities: log-softmax differs from
the logits by one constant per word, so Viterbi over log-probabilities plus the learned scores
(``transitions.json``) finds the same path as over the raw logits, on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rasa_electra.data.viterbi import Constraints, Transitions

MASKED = -1e4  # a forbidden move in training: large against any score, small enough for float32


class CrfScores:
    """The learned scores as TensorFlow variables, with the scheme's mask beside them."""

    def __init__(self, labels: Sequence[str]) -> None:
        import tensorflow as tf

        constraints = Constraints.for_labels(labels)
        n = len(labels)
        self.start = tf.Variable(tf.zeros([n]), name="crf/start")
        self.transition = tf.Variable(tf.zeros([n, n]), name="crf/transition")
        self.end = tf.Variable(tf.zeros([n]), name="crf/end")
        self._masks = tuple(
            tf.constant(np.where(allowed, 0.0, MASKED), tf.float32)
            for allowed in (constraints.start, constraints.allowed, constraints.end)
        )

    @property
    def variables(self) -> list:
        return [self.start, self.transition, self.end]

    def masked(self) -> tuple:
        """(start, transition, end) with the forbidden moves pushed down."""
        start_mask, step_mask, end_mask = self._masks
        return self.start + start_mask, self.transition + step_mask, self.end + end_mask

    def to_transitions(self) -> Transitions:
        """The learned scores for numpy decoding (the mask is the decoder's own)."""
        return Transitions(*(v.numpy().astype(np.float64) for v in self.variables))


def word_positions(labels: np.ndarray, ignore: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the positions of its labelled pieces (a word's first piece), left-aligned and
    zero-padded, and the mask of real words: [batch, most words in a row]."""
    counts = (labels != ignore).sum(axis=1)
    width = max(1, int(counts.max()) if len(counts) else 1)
    positions = np.zeros((len(labels), width), np.int32)
    mask = np.zeros((len(labels), width), bool)
    for row, label_row in enumerate(labels):
        found = np.flatnonzero(label_row != ignore)
        positions[row, : len(found)] = found
        mask[row, : len(found)] = True
    return positions, mask


def negative_log_likelihood(emissions, tags, mask, scores: CrfScores):
    """Per row, −log p(tags | emissions) under the CRF: [batch].

    ``emissions`` [batch, words, labels] float, ``tags`` [batch, words] int, ``mask`` [batch,
    words] bool with each row's words first. A row without words scores 0.
    """
    import tensorflow as tf

    start, transition, end = scores.masked()
    # at least two word columns, the second masked when a batch holds one word a row: the
    # forward scan below then always has a step (an empty scan cannot be stacked)
    short = tf.maximum(0, 2 - tf.shape(emissions)[1])
    emissions = tf.pad(emissions, [[0, 0], [0, short], [0, 0]])
    tags = tf.pad(tags, [[0, 0], [0, short]])
    mask = tf.pad(mask, [[0, 0], [0, short]])
    mask_f = tf.cast(mask, emissions.dtype)
    lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
    has_words = lengths > 0
    tags = tf.where(mask, tags, tf.zeros_like(tags))

    # the gold path's score
    emitted = tf.gather(emissions, tags, batch_dims=2)  # [batch, words]
    gold = tf.reduce_sum(emitted * mask_f, axis=1) + tf.gather(start, tags[:, 0])
    steps = tf.gather_nd(transition, tf.stack([tags[:, :-1], tags[:, 1:]], axis=-1))
    gold += tf.reduce_sum(steps * mask_f[:, 1:], axis=1)
    last = tf.gather(tags, tf.maximum(lengths - 1, 0), batch_dims=1)
    gold += tf.gather(end, last)

    # the log partition function: the forward algorithm over the words
    alpha = start[None, :] + emissions[:, 0]

    def forward(alpha, inputs):
        emission, word_mask = inputs
        moved = tf.reduce_logsumexp(alpha[:, :, None] + transition[None], axis=1) + emission
        return tf.where(word_mask[:, None], moved, alpha)

    rest = (tf.transpose(emissions[:, 1:], [1, 0, 2]), tf.transpose(mask[:, 1:]))
    final = tf.scan(forward, rest, initializer=alpha)[-1]
    log_z = tf.reduce_logsumexp(final + end[None, :], axis=1)
    return tf.where(has_words, log_z - gold, tf.zeros_like(log_z))
