from rasa_electra.data.alignment import count_misaligned
from rasa_electra.data.spans import Example, Span
from rasa_electra.tokenization.mecab import MecabTokenizer


def test_counts_entities_whose_edges_fall_inside_tokens():
    examples = [
        Example("東京都に住む", (Span(0, 2, "GPE"),)),  # MeCab: 東京 | 都 — aligned
        Example("東京都に住む", (Span(1, 3, "GPE"),)),  # 京都: starts inside 東京, ends on 都
        Example("行った", (Span(0, 1, "X"),)),  # 行 inside 行っ: end misaligned
    ]
    mecab = MecabTokenizer()
    report = count_misaligned(examples, lambda t: [(w.start, w.end) for w in mecab.tokenize(t)])
    assert (report.entities, report.misaligned, report.bad_start, report.bad_end) == (3, 2, 1, 1)
    assert report.by_label == {"GPE": 1, "X": 1}
    assert report.as_dict()["rate"] == round(2 / 3, 6)
