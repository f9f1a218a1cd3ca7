"""The harness's error analysis: each gold entity's fate, spurious ones, the confusion between
labels, and the sentences the systems disagree on."""

from rasa_electra.data.spans import Example, Span
from rasa_electra.evaluation.errors import (
    NONE,
    confusion,
    disagreements,
    error_kinds,
    error_tables,
    from_rows,
    plot_confusion,
    to_rows,
)

TEXT = "山田太郎は東京の日立で働く"
GOLD = [Example(TEXT, (Span(0, 4, "PERSON"), Span(5, 7, "GPE"), Span(8, 10, "ORG")))]
# PERSON found; GPE given the wrong label; ORG's edges wrong; a spurious DATE
GUESS = [Example(TEXT, (Span(0, 4, "PERSON"), Span(5, 7, "LOC"), Span(8, 11, "ORG"),
                        Span(11, 13, "DATE")))]  # fmt: skip


def test_each_gold_entity_s_fate_and_the_spurious_ones_are_counted_by_label():
    kinds = error_kinds(GOLD, GUESS)
    assert kinds["PERSON"]["correct"] == 1
    assert kinds["GPE"]["type"] == 1 and kinds["ORG"]["boundary"] == 1
    assert kinds["DATE"]["spurious"] == 1
    missed = error_kinds(GOLD, [Example(TEXT)])
    assert all(missed[label]["missed"] == 1 for label in ("PERSON", "GPE", "ORG"))


def test_the_confusion_pairs_gold_with_predicted_labels_by_overlap(tmp_path):
    pairs = confusion(GOLD, GUESS)
    assert pairs == {("PERSON", "PERSON"): 1, ("GPE", "LOC"): 1, ("ORG", "ORG"): 1,
                     (NONE, "DATE"): 1}  # fmt: skip
    png = plot_confusion(pairs, tmp_path / "confusion.png", "test")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_sentences_the_systems_disagree_on_most_come_first():
    gold = [*GOLD, Example("東京"), Example("大阪")]
    a = [GUESS[0], Example("東京", (Span(0, 2, "GPE"),)), Example("大阪")]
    b = [GOLD[0], Example("東京", (Span(0, 2, "GPE"),)), Example("大阪")]
    assert disagreements({"a": a, "b": b}) == [0]  # agreeing sentences are left out
    lines = error_tables(gold, {"a": a, "b": b})
    assert (
        "| GPE | 0 | 1 | 0 | 0 | 0 | 1 |" in lines
    )  # 東京 mislabelled, and one where gold has none
    assert f"- {TEXT}" in lines and any(line.startswith("  - b: ") for line in lines)
    # predictions round-trip through the rows the harness keeps
    assert from_rows(gold, to_rows(a)) == a
