"""The CRF head: its likelihood against brute force, and its scores in the export."""

import itertools

import numpy as np
import pytest

from rasa_electra.data.tags import label_list
from rasa_electra.data.viterbi import TRANSITIONS_FILE, Constraints
from rasa_electra.model.crf import CrfScores, negative_log_likelihood, word_positions


def brute_force_nll(emissions, tags, labels, start, transition, end):
    """−log p(tags) by enumerating every valid sequence."""
    constraints = Constraints.for_labels(labels)

    def score(path):
        total = start[path[0]] + end[path[-1]] + sum(emissions[t, y] for t, y in enumerate(path))
        return total + sum(transition[a, b] for a, b in itertools.pairwise(path))

    valid = [
        p
        for p in itertools.product(range(len(labels)), repeat=len(tags))
        if constraints.is_valid(p)
    ]
    log_z = np.logaddexp.reduce([score(p) for p in valid])
    return log_z - score(tags)


@pytest.mark.parametrize("scheme", ["BIO", "BIOES"])
def test_the_likelihood_is_normalised_over_the_valid_sequences(scheme):
    import tensorflow as tf

    labels = label_list(["X"], scheme)
    n = len(labels)
    rng = np.random.default_rng(3)
    crf = CrfScores(labels)
    for variable in crf.variables:
        variable.assign(rng.normal(size=variable.shape).astype(np.float32))
    gold = [[1, 2, 0], [0, 0, 0]] if scheme == "BIO" else [[1, 3, 0], [4, 0, 0]]
    lengths = [3, 2]  # the second row is padded
    emissions = rng.normal(size=(2, 3, n)).astype(np.float32)
    mask = np.array([[t < length for t in range(3)] for length in lengths])
    got = negative_log_likelihood(
        tf.constant(emissions), tf.constant(gold), tf.constant(mask), crf
    ).numpy()
    start, transition, end = (v.numpy().astype(np.float64) for v in crf.variables)
    for row, length in enumerate(lengths):
        expected = brute_force_nll(
            emissions[row, :length], gold[row][:length], labels, start, transition, end
        )
        assert got[row] == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_a_batch_of_one_word_rows_is_scored():
    import tensorflow as tf

    labels = label_list(["X"])
    crf = CrfScores(labels)
    emissions = tf.constant([[[0.0, 2.0, -1.0]], [[1.0, 0.0, 0.0]]])
    got = negative_log_likelihood(
        emissions, tf.constant([[1], [0]]), tf.constant([[True], [False]]), crf
    ).numpy()
    # one word: −log softmax over the tags that may start and end a sequence (O, B-X)
    assert got[0] == pytest.approx(np.logaddexp(0.0, 2.0) - 2.0, rel=1e-5)
    assert got[1] == 0.0  # a row without words


def test_word_positions_left_align_each_rows_labelled_pieces():
    labels = np.array([[-100, 3, -100, 0, -100], [-100, -100, -100, -100, -100]])
    positions, mask = word_positions(labels, -100)
    assert positions.tolist() == [[1, 3], [0, 0]]
    assert mask.tolist() == [[True, True], [False, False]]


def test_a_crf_model_exports_its_transitions_and_every_runtime_decodes_with_them(
    trained_tiny_crf, tmp_path, examples
):
    from rasa_electra.data.spans import span_keys
    from rasa_electra.serving.servable import ExportedModel

    export = trained_tiny_crf.export(tmp_path / "export")
    assert (export / TRANSITIONS_FILE).is_file()
    served = ExportedModel(export)
    learned = trained_tiny_crf.transitions
    np.testing.assert_allclose(served.decoder.transitions.transition, learned.transition)
    texts = [e.text for e in examples]
    assert [span_keys(e) for e in served.predict(texts)] == [
        span_keys(e) for e in trained_tiny_crf.predict(texts)
    ]
    assert trained_tiny_crf.scores["dev"]["micro"]["f1"] > 0.5  # it learned the examples
