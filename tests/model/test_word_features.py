"""Word features: the same ids at training and serving time, unknown values never crash, and
the learned tables travel with the export."""

import numpy as np
import pytest

from rasa_electra.data.spans import Example
from rasa_electra.model import features
from rasa_electra.model.word_features import FEATURES_FILE, UNKNOWN, FeatureTables, FeatureVocab
from rasa_electra.tokenization.subwords import TokenizedText
from rasa_electra.tokenization.word_features import EDGE, feature_values, shape
from rasa_electra.tokenization.words import Word


def test_shapes_and_neighbours():
    assert [shape(t) for t in ["人", "東京", "トヨタ", "3月", "ABC", "、"]] == [
        "KK1", "KK+", "TT+", "DK+", "LL+", "SS1",
    ]  # fmt: skip
    words = [Word("東京", 0, 2, "名詞-固有名詞-地域"), Word("へ", 2, 3, "助詞-格助詞-一般")]
    assert feature_values(words, ["pos-1", "pos", "pos+1"]) == [
        [EDGE, "名詞-固有名詞-地域", "助詞-格助詞-一般"],
        ["名詞-固有名詞-地域", "助詞-格助詞-一般", EDGE],
    ]
    latin = [Word("Tokyo", 0, 5, "名詞-固有名詞-地域")]
    assert feature_values(latin, ["word", "prefix2", "suffix2"]) == [["tokyo", "to", "yo"]]


def test_an_unknown_pos_maps_to_the_reserved_id():
    seen = TokenizedText([(0, 2)], [[]], (Word("東京", 0, 2, "名詞-固有名詞-地域"),))
    vocab = FeatureVocab.build([seen, seen], ["pos", "shape"])
    new = TokenizedText([(0, 3)], [[]], (Word("ほげ語", 0, 3, "新品詞-ユーザ辞書"),))
    ids = vocab.ids(new)
    assert ids.tolist() == [[UNKNOWN, UNKNOWN]]  # neither value was seen
    tables = FeatureTables(vocab, {n: np.ones((vocab.size(n), 3)) for n in vocab.names})
    probs = np.array([[0.2, 0.3, 0.5]], np.float32)
    np.testing.assert_allclose(tables.adjust(probs, new), probs, rtol=1e-6)  # equal scores
    with pytest.raises(ValueError, match="unknown word feature"):
        FeatureVocab.build([seen], ["pos", "colour"])


def test_training_and_serving_compute_the_same_feature_ids(trained_tiny, examples):
    vocab = trained_tiny.word_features.vocab
    tokenizer = trained_tiny.spec.tokenizer
    encoded = features.encode(
        examples, tokenizer, None, 24, feature_vocab=vocab
    )  # what training reads, window by window
    for window in encoded.windows:
        served = vocab.ids(tokenizer.tokenize(examples[window.example].text))
        assert list(window.feature_ids) == [tuple(r) for r in served[window.first : window.stop]]


def test_the_export_carries_the_tables_and_serves_what_training_saw(
    trained_tiny, exported_tiny, examples
):
    from rasa_electra.data.spans import span_keys
    from rasa_electra.serving.servable import ExportedModel

    assert (exported_tiny / FEATURES_FILE).is_file()
    served = ExportedModel(exported_tiny)
    learned = trained_tiny.feature_tables
    for name in learned.vocab.names:
        np.testing.assert_allclose(served.word_features.tables[name], learned.tables[name])
        assert np.abs(learned.tables[name]).max() > 0  # trained, not left at zero
    texts = [e.text for e in examples] + ["未知の語彙ばかりのテキスト"]
    assert [span_keys(e) for e in served.predict(texts)] == [
        span_keys(e) for e in trained_tiny.predict([Example(t) for t in texts])
    ]
