"""Structured decoding: always a valid sequence, and the best one (checked by brute force)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rasa_electra.data.tags import decode, label_list
from rasa_electra.data.viterbi import (
    Constraints,
    Decoder,
    Transitions,
    check_o_bias,
    log_probabilities,
    scheme_of,
    viterbi,
)

ENTITIES = ["GPE", "PERSON"]


def probability_tables(n_labels: int, max_words: int = 8):
    """[words, labels] tables of positive rows summing to 1 (some rows near one-hot)."""
    return st.integers(0, max_words).flatmap(
        lambda words: arrays(
            np.float64, (words, n_labels), elements=st.floats(1e-6, 1.0, allow_subnormal=False)
        ).map(lambda table: table / table.sum(axis=1, keepdims=True) if len(table) else table)
    )


@pytest.mark.parametrize("scheme", ["BIO", "BIOES"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_viterbi_never_emits_an_invalid_sequence(scheme, data):
    labels = label_list(ENTITIES, scheme)
    table = data.draw(probability_tables(len(labels)))
    learned = data.draw(st.booleans())
    transitions = None
    if learned:  # arbitrary learned scores must not break validity either
        rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
        n = len(labels)
        transitions = Transitions(
            rng.normal(0, 5, n), rng.normal(0, 5, (n, n)), rng.normal(0, 5, n)
        )
    o_bias = data.draw(st.floats(-20, 20))  # any O bias keeps the sequence valid too
    decoder = Decoder(tuple(labels), transitions, o_bias=o_bias)
    path = decoder.best(table)
    assert len(path) == len(table)
    assert decoder.constraints.is_valid(list(path))
    tags = [labels[i] for i in path]
    # a valid sequence reads the same under any rule: each B-/S- starts exactly one entity
    starts = sum(tag[0] in "BS" for tag in tags)
    assert len(decode([(i, i + 1) for i in range(len(tags))], tags)) == starts


@pytest.mark.parametrize("scheme", ["BIO", "BIOES"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_viterbi_finds_the_best_valid_sequence(scheme, data):
    labels = label_list(["X"], scheme)
    table = data.draw(probability_tables(len(labels), max_words=4))
    constraints = Constraints.for_labels(labels)
    scores = log_probabilities(table)
    valid = [
        p
        for p in itertools.product(range(len(labels)), repeat=len(table))
        if constraints.is_valid(p)
    ]
    best = max(sum(scores[t, tag] for t, tag in enumerate(p)) for p in valid)
    path = viterbi(scores, constraints)
    assert sum(scores[t, tag] for t, tag in enumerate(path)) == pytest.approx(best)


def test_the_constraints_of_each_scheme():
    bio = Constraints.for_labels(["O", "B-X", "I-X", "B-Y", "I-Y"])
    assert bio.is_valid([1, 2, 0, 3, 4]) and not bio.is_valid([0, 2])  # O I-X
    assert not bio.is_valid([2]) and not bio.is_valid([1, 4])  # I- first; B-X I-Y
    bioes = Constraints.for_labels(label_list(["X"], "BIOES"))  # O B I E S
    assert bioes.is_valid([1, 2, 3, 4, 0]) and not bioes.is_valid([1, 0])  # B-X must close
    assert not bioes.is_valid([1]) and not bioes.is_valid([3])  # ends open; E- first
    assert scheme_of(["O", "B-X", "I-X"]) == "BIO" and scheme_of(["O", "S-X"]) == "BIOES"


def test_argmax_keeps_the_conlleval_reading_and_viterbi_repairs_it():
    labels = ("O", "B-GPE", "I-GPE")
    probs = np.array([[0.45, 0.15, 0.4], [0.2, 0.1, 0.7]])  # O I-GPE by argmax
    assert list(Decoder(labels, method="argmax").best(probs)) == [0, 2]
    assert list(Decoder(labels).best(probs)) == [1, 2]  # B I: .15*.7 > O O: .45*.2


@pytest.mark.parametrize("method", ["viterbi", "argmax"])
def test_the_o_bias_trades_entities_for_sureness(method):
    labels = ("O", "B-GPE", "I-GPE")
    probs = np.array([[0.4, 0.55, 0.05], [0.5, 0.05, 0.45]])  # B-GPE, then O or I-GPE
    plain = Decoder(labels, method=method)
    assert plain.best(probs)[0] == 1
    assert list(Decoder(labels, method=method, o_bias=0.5).best(probs)) == [0, 0]
    # below 0 it asks less: the second word joins the entity
    assert list(Decoder(labels, method=method, o_bias=-0.5).best(probs)) == [1, 2]
    assert list(Decoder(labels, method=method, o_bias=0.0).best(probs)) == list(plain.best(probs))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "high", True, None])
def test_an_o_bias_must_be_a_finite_number(value):
    with pytest.raises(ValueError, match="o_bias must be a finite number"):
        check_o_bias(value)
    with pytest.raises(ValueError, match="o_bias must be a finite number"):
        Decoder(("O", "B-X", "I-X"), o_bias=value)
    with pytest.raises(ValueError, match="o_bias needs an 'O' tag"):
        Decoder(("B-X", "I-X"), o_bias=1.0)


def test_tags_outside_the_scheme_are_never_chosen():
    labels = ("O", "B-X", "I-X", "[CLS]", "X")  # a TF1 label map's extra tags
    probs = np.array([[0.0, 0.1, 0.0, 0.8, 0.1], [0.1, 0.1, 0.2, 0.0, 0.6]])
    assert list(Decoder(labels).best(probs)) == [1, 2]


def test_learned_transitions_round_trip_and_refuse_other_labels(tmp_path):
    labels = label_list(ENTITIES)
    n = len(labels)
    rng = np.random.default_rng(0)
    learned = Transitions(rng.normal(size=n), rng.normal(size=(n, n)), rng.normal(size=n))
    learned.save(tmp_path, labels)
    back = Transitions.load(tmp_path, labels)
    np.testing.assert_array_equal(back.transition, learned.transition)
    with pytest.raises(ValueError, match="its labels are not the export"):
        Transitions.load(tmp_path, list(reversed(labels)))
    assert Transitions.load(tmp_path / "nowhere", labels) is None
    with pytest.raises(ValueError, match="decoding must be one of"):
        Decoder(tuple(labels), method="greedy")
