import pytest

from rasa_electra.data.spans import (
    Example,
    Span,
    SpanError,
    boundaries_only,
    count_labels,
    relabel,
    same_annotation,
)


def test_spans_are_sorted_and_checked_against_the_text():
    example = Example("山田太郎は東京へ", (Span(5, 7, "GPE"), Span(0, 4, "PERSON")))
    assert example.entities() == [("山田太郎", "PERSON"), ("東京", "GPE")]


@pytest.mark.parametrize(
    "spans, message",
    [
        ((Span(0, 9, "X"),), "runs past the end"),
        ((Span(0, 3, "X"), Span(2, 4, "Y")), "overlapping"),
    ],
)
def test_bad_spans_are_rejected(spans, message):
    with pytest.raises(SpanError, match=message):
        Example("東京タワー", spans)


def test_empty_or_reversed_span_is_rejected():
    with pytest.raises(ValueError):
        Span(3, 3, "X")
    with pytest.raises(ValueError):
        Span(0, 1, "")


def test_counting_and_comparing():
    a = [Example("東京", (Span(0, 2, "GPE"),)), Example("京都", (Span(0, 2, "GPE"),))]
    b = [Example("東京", (Span(0, 2, "GPE"),)), Example("京都", (Span(0, 1, "GPE"),))]
    assert count_labels(a) == {"GPE": 2}
    assert same_annotation(a, b) == [1]


def test_relabel_maps_labels_and_counts_what_it_drops():
    example = Example("東京の山田さん", (Span(0, 2, "City"), Span(3, 5, "Person"), Span(5, 7, "X")))
    (mapped,), dropped = relabel([example], {"City": "GPE", "Person": "PERSON"})
    assert mapped.entities() == [("東京", "GPE"), ("山田", "PERSON")]
    assert dropped == {"X": 1} and mapped.text == example.text


def test_boundaries_only_keeps_the_edges_and_forgets_the_labels():
    (blind,) = boundaries_only([Example("東京の山田", (Span(0, 2, "GPE"), Span(3, 5, "PERSON")))])
    assert [(s.start, s.end, s.label) for s in blind.spans] == [(0, 2, "ENTITY"), (3, 5, "ENTITY")]
