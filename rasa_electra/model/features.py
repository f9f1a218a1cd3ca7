"""Examples → model inputs in windows, and model outputs → span predictions.

The first subword of each word carries the word's tag (``labeled_positions``, as in the original
write-up); the other subwords are not trained on and not read back. Texts longer than
``max_seq_length`` are cut into overlapping windows of whole words: training uses every window,
and at prediction time each word takes its label from the window where it has the most context
on both sides. Nothing is truncated away except the 2nd+ subwords of a single word longer than a
whole window, which carry no label anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from rasa_electra.data.entity_memory import EntityMemory
from rasa_electra.data.spans import Example, Span
from rasa_electra.data.tags import decode, word_tags
from rasa_electra.data.viterbi import Decoder
from rasa_electra.model.word_features import FeatureTables, FeatureVocab, with_log_scores
from rasa_electra.tokenization.subwords import SubwordTokenizer, TokenizedText

IGNORE = -100  # label id of positions that carry no label
INPUT_NAMES = ("input_ids", "input_mask", "segment_ids", "labeled_positions")


@dataclass(frozen=True)
class Window:
    """Whole words ``[first, stop)`` of one text; it answers for ``[own_first, own_stop)``."""

    example: int
    first: int
    stop: int
    own_first: int
    own_stop: int
    input_ids: list[int]
    labeled_positions: list[int]
    label_ids: list[int]
    feature_ids: tuple = ()  # per word of the window, its word-feature ids (when trained with)


@dataclass
class Encoded:
    """Windows for a list of examples, with what the encoding could not represent."""

    windows: list[Window]
    tokenized: list[TokenizedText]
    unrepresentable: list[tuple[int, Span]] = field(default_factory=list)


def window_bounds(piece_counts: Sequence[int], limit: int, overlap: int) -> list[tuple[int, int]]:
    """Word ranges of at most ``limit`` pieces, consecutive ranges sharing ~``overlap`` pieces."""
    counts = [min(c, limit) for c in piece_counts]
    bounds: list[tuple[int, int]] = []
    first = 0
    while first < len(counts) or not bounds:
        stop, total = first, 0
        while stop < len(counts) and total + counts[stop] <= limit:
            total += counts[stop]
            stop += 1
        bounds.append((first, stop))
        if stop >= len(counts):
            break
        back, shared = stop, 0
        while back - 1 > first and shared + counts[back - 1] <= overlap:
            back -= 1
            shared += counts[back]
        first = back
    return bounds


def _ownership(bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split each overlap at its middle, so every word is answered by exactly one window."""
    owned = []
    for k, (first, stop) in enumerate(bounds):
        own_first = first if k == 0 else (first + bounds[k - 1][1]) // 2
        own_stop = stop if k == len(bounds) - 1 else (bounds[k + 1][0] + stop) // 2
        owned.append((own_first, own_stop))
    return owned


def encode(
    examples: Sequence[Example],
    tokenizer: SubwordTokenizer,
    label_to_id: dict[str, int] | None,
    max_seq_length: int,
    scheme: str = "BIO",
    overlap: int | None = None,
    tokenized: Sequence[TokenizedText] | None = None,
    feature_vocab: FeatureVocab | None = None,
) -> Encoded:
    """Windows for every example; with ``label_to_id`` also training labels, and with
    ``feature_vocab`` each word's feature ids.

    ``tokenized`` (one per example) skips tokenizing again when the caller already has it.
    """
    limit = max_seq_length - 2  # [CLS] and [SEP]
    if limit < 1:
        raise ValueError(f"max_seq_length must be at least 3, got {max_seq_length}")
    overlap = limit // 4 if overlap is None else overlap
    encoded = Encoded([], [])
    for index, example in enumerate(examples):
        text_tokens = tokenizer.tokenize(example.text) if tokenized is None else tokenized[index]
        encoded.tokenized.append(text_tokens)
        tags = None
        if label_to_id is not None:
            tags, missed = word_tags(text_tokens.word_offsets, example.spans, scheme)
            encoded.unrepresentable.extend((index, span) for span in missed)
        counts = [len(p) for p in text_tokens.word_pieces]
        ids = feature_vocab.ids(text_tokens) if feature_vocab is not None else None
        bounds = window_bounds(counts, limit, overlap)
        for (first, stop), (own_first, own_stop) in zip(bounds, _ownership(bounds), strict=True):
            piece_ids, labeled, label_ids = [tokenizer.pieces.cls_token_id], [0], [IGNORE]
            for word in range(first, stop):
                pieces = text_tokens.word_pieces[word][:limit]
                piece_ids.extend(p.id for p in pieces)
                labeled.extend([1] + [0] * (len(pieces) - 1))
                tag_id = label_to_id[tags[word]] if tags is not None else IGNORE
                label_ids.extend([tag_id] + [IGNORE] * (len(pieces) - 1))
            piece_ids.append(tokenizer.pieces.sep_token_id)
            labeled.append(0)
            label_ids.append(IGNORE)
            word_ids = tuple(map(tuple, ids[first:stop].tolist())) if ids is not None else ()
            encoded.windows.append(
                Window(index, first, stop, own_first, own_stop, piece_ids, labeled, label_ids,
                       word_ids)
            )  # fmt: skip
    return encoded


def batches(
    windows: Sequence[Window],
    batch_size: int,
    pad_id: int,
    order: Sequence[int] | None = None,
    fixed_width: int | None = None,
) -> Iterator[tuple[list[int], dict[str, np.ndarray], np.ndarray]]:
    """(window indices, int32 inputs padded to the batch's longest window, label ids).

    ``fixed_width`` pads every batch to one length instead (TPUs compile one shape).
    """
    order = list(range(len(windows))) if order is None else list(order)
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        width = fixed_width or max(len(windows[i].input_ids) for i in chosen)
        inputs = {name: np.zeros((len(chosen), width), np.int32) for name in INPUT_NAMES}
        labels = np.full((len(chosen), width), IGNORE, np.int32)
        inputs["input_ids"][:] = pad_id
        for row, i in enumerate(chosen):
            window, size = windows[i], len(windows[i].input_ids)
            inputs["input_ids"][row, :size] = window.input_ids
            inputs["input_mask"][row, :size] = 1
            inputs["labeled_positions"][row, :size] = window.labeled_positions
            labels[row, :size] = window.label_ids
        yield chosen, inputs, labels


def bucketed_order(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator, pool_batches: int = 50
) -> list[int]:
    """A shuffled order whose consecutive ``batch_size`` runs have similar lengths.

    Shuffle, sort each pool of ``pool_batches`` batches by length, cut it into batches, then
    shuffle the batches: every epoch sees new neighbours, but a batch pads little.
    """
    order = rng.permutation(len(lengths))
    pool = batch_size * pool_batches
    chunks: list[list[int]] = []
    for start in range(0, len(order), pool):
        members = sorted(order[start : start + pool], key=lambda i: lengths[i])
        chunks += [members[k : k + batch_size] for k in range(0, len(members), batch_size)]
    return [int(i) for chunk_index in rng.permutation(len(chunks)) for i in chunks[chunk_index]]


# (inputs) -> probabilities [batch, seq, labels]; the in-memory model and a loaded SavedModel
# both fit this shape, so prediction below is one code path for both.
Runner = Callable[[dict[str, np.ndarray]], np.ndarray]


def word_probabilities(
    encoded: Encoded, n_labels: int, run: Runner, batch_size: int, pad_id: int
) -> list[np.ndarray]:
    """Per text, [words, labels]: each word's row from the window that owns it."""
    word_probs = [np.zeros((len(t.word_offsets), n_labels), np.float32) for t in encoded.tokenized]
    for chosen, inputs, _ in batches(encoded.windows, batch_size, pad_id):
        probabilities = run(inputs)
        for row, i in enumerate(chosen):
            window = encoded.windows[i]
            positions = np.flatnonzero(inputs["labeled_positions"][row])
            words = range(window.first, window.stop)
            for word, position in zip(words, positions, strict=True):
                if window.own_first <= word < window.own_stop:
                    word_probs[window.example][word] = probabilities[row, position]
    return word_probs


@dataclass(frozen=True)
class Hint:
    """Another extractor's entities on the same text (a CRF earlier in the Rasa pipeline),
    weighed into this model's word probabilities before decoding: each word's tag under those
    spans (``O`` outside them) gains ``weight`` × the span's confidence (1 for ``O``) in log
    space. Weight 0 is this model alone; a large weight follows the other extractor."""

    spans: tuple[Span, ...]
    weight: float

    def adjust(self, probs: np.ndarray, tokenized: TokenizedText, labels: Sequence[str]):
        if len(probs) == 0 or self.weight == 0:
            return probs
        scheme = "BIOES" if any(label.startswith("E-") for label in labels) else "BIO"
        tags, _ = word_tags(tokenized.word_offsets, self.spans, scheme)
        confidence = np.ones(len(tags))
        for span in self.spans:
            for m, (start, end) in enumerate(tokenized.word_offsets):
                if span.start <= start and end <= span.end and span.confidence is not None:
                    confidence[m] = span.confidence
        column = {label: i for i, label in enumerate(labels)}
        scores = np.zeros(probs.shape)
        for m, tag in enumerate(tags):
            if tag in column:  # a label this model does not know is not weighed in
                scores[m, column[tag]] = self.weight * confidence[m]
        return with_log_scores(probs, scores)


def decode_words(
    example: Example,
    tokenized: TokenizedText,
    probs: np.ndarray,
    decoder: Decoder,
    word_features: FeatureTables | None = None,
    memory: EntityMemory | None = None,
    hint: Hint | None = None,
) -> Example:
    """The decoder's tag per word → spans. A span's confidence is the mean, over its words, of
    the probability the model gave each word's decoded tag (with its word features' scores
    added; under Viterbi that tag need not be the word's most likely one, so a forced
    continuation lowers the confidence). With a ``memory``, a span whose text it knows takes
    its label (``EntityMemory.relabel``)."""
    if word_features is not None:
        probs = word_features.adjust(probs, tokenized)
    if hint is not None:
        probs = hint.adjust(probs, tokenized, decoder.labels)
    best = decoder.best(probs)
    tags = [decoder.labels[i] for i in best]
    spans = tuple(
        replace(span, confidence=float(np.mean([probs[m, best[m]] for m in members])))
        for span, members in decode(tokenized.word_offsets, tags)
    )
    decoded = Example(example.text, spans, example.intent, example.source)
    return memory.relabel(decoded) if memory is not None else decoded


def predict(
    examples: Sequence[Example],
    tokenizer: SubwordTokenizer,
    decoder: Decoder,
    run: Runner,
    max_seq_length: int,
    batch_size: int = 32,
    tokenized: Sequence[TokenizedText] | None = None,
    word_features: FeatureTables | None = None,
    memory: EntityMemory | None = None,
    hints: Sequence[Hint | None] | None = None,
) -> list[Example]:
    """Span predictions (with a confidence per span) for each example's text; ``hints``
    (per example, or None) weigh another extractor's entities in."""
    encoded = encode(examples, tokenizer, None, max_seq_length, tokenized=tokenized)
    pad = tokenizer.pieces.pad_token_id
    word_probs = word_probabilities(encoded, len(decoder.labels), run, batch_size, pad)
    hints = list(hints) if hints is not None else [None] * len(examples)
    return [
        decode_words(example, words, probs, decoder, word_features, memory, hint)
        for example, words, probs, hint in zip(
            examples, encoded.tokenized, word_probs, hints, strict=True
        )
    ]
