"""The peers' edges on real spaCy and GiNZA objects: the label table, the DocBin conversion."""

from spacy.tokens import DocBin

from rasa_electra.data import gsd
from rasa_electra.data.spans import Example, Span
from rasa_electra.evaluation.peers import (
    GSD_LABELS_FROM_ENE,
    blank_japanese,
    ginza_label_map,
    write_docbin,
)


def test_ginza_s_types_map_to_gsd_labels_or_are_left_out():
    mapping = ginza_label_map()
    assert mapping["City"] == "GPE" and mapping["Person"] == "PERSON"
    assert mapping["Museum"] == "FAC" and mapping["Date"] == "DATE"
    assert mapping["Title_Other"] == "TITLE_AFFIX" and mapping["Movement"] == "MOVEMENT"
    assert "Mammal" not in mapping  # GiNZA's OTHERS: no GSD label, dropped and counted
    assert "Bird" not in mapping  # GiNZA's ANIMAL: not a GSD label either
    assert set(mapping.values()) <= gsd.LABELS and len(gsd.LABELS) == 22
    assert set(mapping.values()) >= set(GSD_LABELS_FROM_ENE.values())


def test_docbin_keeps_aligned_entities_and_counts_the_rest(tmp_path):
    nlp = blank_japanese()
    text = "東京都庁で山田太郎に会った"
    words = [(t.idx, t.idx + len(t)) for t in nlp.make_doc(text)]
    aligned = Span(words[0][0], words[0][1], "GPE")
    inside = Span(words[0][0], words[0][1] - 1, "ORG")  # ends inside the first word
    examples = [Example(text, (aligned,)), Example(text, (inside,))]
    report = write_docbin(examples, nlp, tmp_path / "train.spacy")
    assert (report.entities, report.misaligned, report.bad_end) == (2, 1, 1)
    docs = list(DocBin().from_disk(tmp_path / "train.spacy").get_docs(nlp.vocab))
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs] == [
        [(aligned.start, aligned.end, "GPE")], [],
    ]  # fmt: skip
