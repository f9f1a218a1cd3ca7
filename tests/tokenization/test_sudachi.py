"""Sudachi words on real SudachiPy + SudachiDict-core: split modes, word forms, long input."""

from rasa_electra.tokenization.sudachi import SudachiTokenizer, _chunks


def test_split_modes_cut_the_same_text_at_other_grains_with_exact_offsets():
    text = "関西国際空港から\u3000ＡＢＣ社へ走った"
    modes = {mode: SudachiTokenizer(mode).tokenize(text) for mode in "ABC"}
    assert [w.text for w in modes["A"]][:3] == ["関西", "国際", "空港"]
    assert modes["C"][0].text == "関西国際空港"
    for words in modes.values():
        assert all(text[w.start : w.end] == w.text for w in words)
        assert "".join(w.text for w in words) == text.replace("\u3000", "")


def test_word_forms_follow_sudachitra():
    words = SudachiTokenizer("A", word_form="dictionary_and_surface").tokenize("ＡＢＣへ走った")
    # not conjugating: the dictionary form; 走っ (a verb) and た (an auxiliary) as written
    assert [(w.text, w.form) for w in words] == [("ＡＢＣ", "ABC"), ("へ", None), ("走っ", None),
                                                  ("た", None)]  # fmt: skip
    words = SudachiTokenizer("A", word_form="dictionary").tokenize("走った")
    assert (words[0].text, words[0].form) == ("走っ", "走る")


def test_text_longer_than_sudachi_accepts_is_cut_at_sentence_ends():
    text = "東京に行った。" * 3000 + "あ" * 13000  # 34,000 characters, 102,000 bytes
    words = SudachiTokenizer("C").tokenize(text)
    assert all(text[w.start : w.end] == w.text for w in words)
    assert sum(w.end - w.start for w in words) == len(text)
    pieces = list(_chunks(text))
    assert all(len(chunk.encode()) <= 49_149 for _, chunk in pieces)
    assert pieces[0][1].endswith("。")  # the first cut after a sentence end
    assert "".join(chunk for _, chunk in pieces) == text
