import pytest

from rasa_electra.data.spans import Example, Span
from rasa_electra.evaluation.span_metrics import format_scores, score_spans


def test_exact_match_counts_per_label_and_micro():
    gold = [
        Example("山田太郎は東京へ", (Span(0, 4, "PERSON"), Span(5, 7, "GPE"))),
        Example("2020年の大阪", (Span(0, 5, "DATE"), Span(6, 8, "GPE"))),
    ]
    predicted = [
        Example("山田太郎は東京へ", (Span(0, 2, "PERSON"), Span(5, 7, "GPE"))),  # boundary miss
        Example("2020年の大阪", (Span(0, 5, "DATE"), Span(6, 8, "LOC"))),  # label miss
    ]
    scores = score_spans(gold, predicted)
    assert (scores.micro.true_positives, scores.micro.predicted, scores.micro.gold) == (2, 4, 4)
    assert scores.micro.f1 == pytest.approx(0.5)
    assert scores.per_label["GPE"].recall == pytest.approx(0.5)
    assert scores.per_label["GPE"].precision == pytest.approx(1.0)
    assert scores.per_label["LOC"].as_dict()["support"] == 0
    assert scores.per_label["LOC"].f1 == 0.0
    # most gold first, ties by name
    assert list(scores.per_label) == ["GPE", "DATE", "PERSON", "LOC"]
    assert format_scores(scores).splitlines()[-1].startswith("micro avg")


def test_texts_must_line_up():
    with pytest.raises(ValueError, match="differs from gold"):
        score_spans([Example("東京")], [Example("大阪")])
