import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasa_electra.data.span_metrics import format_scores, score_spans
from rasa_electra.data.spans import Example, Span
from rasa_electra.data.tags import decode


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


TAGS = st.sampled_from(["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC"])


SEQUENCE_PAIRS = st.tuples(
    st.lists(TAGS, min_size=1, max_size=12), st.lists(TAGS, min_size=12, max_size=12)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SEQUENCE_PAIRS, min_size=1, max_size=6))
def test_span_scores_equal_seqeval_on_token_aligned_tags(pairs):
    """On one-character tokens our character spans and seqeval's chunks must agree exactly."""
    from seqeval.metrics import f1_score, precision_score, recall_score

    gold_tags, pred_tags, gold, predicted = [], [], [], []
    for gold_seq, pred_seq in pairs:
        pred_seq = pred_seq[: len(gold_seq)]
        words = [(i, i + 1) for i in range(len(gold_seq))]
        text = "x" * len(gold_seq)
        gold.append(Example(text, tuple(s for s, _ in decode(words, gold_seq))))
        predicted.append(Example(text, tuple(s for s, _ in decode(words, pred_seq))))
        gold_tags.append(gold_seq)
        pred_tags.append(pred_seq)
    ours = score_spans(gold, predicted).micro
    assert ours.precision == pytest.approx(precision_score(gold_tags, pred_tags, zero_division=0))
    assert ours.recall == pytest.approx(recall_score(gold_tags, pred_tags, zero_division=0))
    assert ours.f1 == pytest.approx(f1_score(gold_tags, pred_tags, zero_division=0))


def test_trials_summarize_to_mean_and_sample_std() -> None:
    from rasa_electra.data.span_metrics import summarize_trials

    def trial(f1: float, person_f1: float) -> dict:
        micro = {"precision": f1, "recall": f1, "f1": f1}
        return {"micro": micro, "per_label": {"PERSON": {**micro, "f1": person_f1, "support": 4}}}

    summary = summarize_trials([trial(0.5, 0.2), trial(0.7, 0.4)])
    assert summary["micro"]["f1"] == {"mean": 0.6, "std": round(2**0.5 / 10, 6)}
    assert summary["per_label"]["PERSON"]["f1"]["mean"] == 0.3
    assert summary["per_label"]["PERSON"]["support"] == 4
