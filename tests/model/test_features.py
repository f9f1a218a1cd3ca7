"""Label alignment on first subwords, windows for long texts, and decoding across window seams."""

from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rasa_electra.data.spans import Example, Span
from rasa_electra.data.tags import label_list
from rasa_electra.model.features import IGNORE, encode, window_bounds
from rasa_electra.tokenization.subwords import SubwordTokenizer


def test_first_subword_carries_the_label_and_misaligned_entities_are_counted(vocab_dir):
    tokenizer = SubwordTokenizer.from_directory(vocab_dir)
    labels = label_list(["GPE", "PERSON"])
    spans = (Span(0, 4, "PERSON"), Span(7, 9, "GPE"), Span(10, 11, "GPE"))
    example = Example("山田太郎さんは東京に住む", spans)
    encoded = encode([example], tokenizer, {t: i for i, t in enumerate(labels)}, 64)
    assert encoded.unrepresentable == [(0, Span(10, 11, "GPE"))]  # 住 sits inside the word 住む
    (window,) = encoded.windows
    labeled = [i for i, flag in enumerate(window.labeled_positions) if flag]
    assert [labels[window.label_ids[i]] for i in labeled][:5] == [
        "B-PERSON",
        "I-PERSON",
        "O",
        "O",
        "B-GPE",
    ]
    assert all(
        window.label_ids[i] == IGNORE for i in range(len(window.input_ids)) if i not in labeled
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 9), max_size=60), st.integers(1, 12), st.integers(0, 6))
def test_windows_cover_every_word_within_the_limit(counts, limit, overlap):
    bounds = window_bounds(counts, limit, overlap)
    covered = set()
    for first, stop in bounds:
        assert sum(min(c, limit) for c in counts[first:stop]) <= limit
        assert stop > first or not counts
        covered.update(range(first, stop))
    assert covered == set(range(len(counts)))
    assert all(b[0] > a[0] for a, b in pairwise(bounds))  # always progresses


def test_long_text_is_windowed_not_truncated(vocab_dir):
    tokenizer = SubwordTokenizer.from_directory(vocab_dir)
    text = "山田太郎さんは東京に住んでいます。" * 8
    encoded = encode([Example(text)], tokenizer, None, 16)
    assert len(encoded.windows) > 4
    owned = [w for window in encoded.windows for w in range(window.own_first, window.own_stop)]
    assert owned == list(range(len(encoded.tokenized[0].word_offsets)))  # each word answered once
    assert max(len(w.input_ids) for w in encoded.windows) <= 16
    assert np.all([w.input_ids[0] == tokenizer.pieces.cls_token_id for w in encoded.windows])


def test_an_entity_is_never_cut_at_a_window_seam(vocab_dir) -> None:
    """A stub model tags every window B-GPE I-GPE I-GPE …: each window taken alone would start
    a new entity, but words are decoded after the windows are merged, so a long run of place
    names is one span."""
    from rasa_electra.serving.servable import Servable

    class EveryWindowStartsAnEntity(Servable):
        def __init__(self) -> None:
            self.labels = ["O", "B-GPE", "I-GPE"]
            self.tokenizer = SubwordTokenizer.from_directory(vocab_dir)
            self.max_seq_length = 32
            self.windows = 0

        def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
            probabilities = np.zeros((*inputs["input_ids"].shape, 3), np.float32)
            probabilities[..., 2] = 1.0  # I-GPE everywhere …
            for row, labeled in enumerate(inputs["labeled_positions"]):
                first = int(np.flatnonzero(labeled)[0])
                probabilities[row, first] = [0.0, 1.0, 0.0]  # … but B-GPE opens each window
            self.windows += len(inputs["input_ids"])
            return probabilities

    model = EveryWindowStartsAnEntity()
    text = "東京" * 500
    (predicted,) = model.predict([text])
    assert model.windows > 10  # the text really was cut into many windows
    assert [(s.start, s.end, s.label) for s in predicted.spans] == [(0, len(text), "GPE")]


def test_a_hint_weighs_another_extractors_entities_into_the_word_probabilities():
    """``Hint``: the tag another extractor's span gives each word (O outside it) gains the
    weight times the span's confidence in log space; a label the model lacks adds nothing."""
    from rasa_electra.model.features import Hint
    from rasa_electra.tokenization.subwords import TokenizedText

    labels = label_list(["place"])  # O, B-place, I-place
    words = TokenizedText([(0, 2), (2, 3), (3, 5)], [[], [], []])  # 東京 / に / 行く
    probs = np.array([[0.6, 0.3, 0.1], [0.8, 0.1, 0.1], [0.5, 0.2, 0.3]], np.float32)
    assert Hint((Span(0, 2, "place"),), 0.0).adjust(probs, words, labels) is probs
    hinted = Hint((Span(0, 2, "place", confidence=0.5),), 2.0).adjust(probs, words, labels)
    expected = np.array([0.6, 0.3 * np.e, 0.1]) / (0.6 + 0.3 * np.e + 0.1)  # e^(2 × 0.5)
    np.testing.assert_allclose(hinted[0], expected, rtol=1e-5)
    assert hinted[0].argmax() == 1 and np.allclose(hinted.sum(axis=1), 1.0)
    assert hinted[1].argmax() == hinted[2].argmax() == 0  # O outside the span, weight 2 × 1
    unknown = Hint((Span(0, 2, "date"),), 2.0).adjust(probs, words, labels)
    np.testing.assert_allclose(unknown[0], probs[0], rtol=1e-5)  # B-date is not the model's
