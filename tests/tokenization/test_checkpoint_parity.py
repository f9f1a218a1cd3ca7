"""Parity with the tokenizers published Japanese checkpoints were cut with: transformers'
BertJapaneseTokenizer (MeCab + ipadic or unidic-lite, or Sudachi; NFKC; WordPiece or
character pieces) and SudachiTra's BertSudachipyTokenizer (megagonlabs' checkpoints). The piece
ids this project feeds such a checkpoint are theirs on every GSD v2.6-NE dev and test sentence,
with vocabularies the tests make here (the shipped encoder's WordPiece vocabulary, and the
single characters in it for character checkpoints; no hub)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.tokenization.subwords import SubwordTokenizer, UnsupportedWordTokenizer


def checkpoint_folder(
    repo: Path, folder: Path, mecab_kwargs: dict | None = None, **config_entries
) -> Path:
    """A checkpoint folder as cl-tohoku/izumi-lab publish one: vocab.txt and a
    tokenizer_config.json naming BertJapaneseTokenizer with MeCab and ``mecab_kwargs``
    (``config_entries`` replace entries: another word or subword tokenizer)."""
    vocab = (repo / "pretrained/electra-small-ja/vocab.txt").read_text(encoding="utf-8")
    if config_entries.get("subword_tokenizer_type") == "character":  # single characters only
        vocab = "".join(f"{t}\n" for t in vocab.splitlines() if len(t) == 1 or t.startswith("["))
    (folder / "vocab.txt").write_text(vocab, encoding="utf-8")
    config = {"tokenizer_class": "BertJapaneseTokenizer", "do_lower_case": False,
              "word_tokenizer_type": "mecab", "subword_tokenizer_type": "wordpiece",
              "mecab_kwargs": mecab_kwargs or {}, **config_entries}  # fmt: skip
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


SUDACHITRA = {"tokenizer_class": "ElectraSudachipyTokenizer", "word_tokenizer_type": "sudachipy",
              "word_form_type": "dictionary_and_surface", "do_nfkc": False,
              "sudachipy_kwargs": {"split_mode": "A", "dict_type": "core"}}  # fmt: skip
# checkpoint → the tokenizer_config.json entries it was published with
CONFIGURATIONS = {
    "mecab-ipadic": {"mecab_kwargs": {"mecab_dic": "ipadic"}},
    "mecab-unidic_lite": {"mecab_kwargs": {"mecab_dic": "unidic_lite"}},
    "mecab-ipadic-character": {"mecab_kwargs": {"mecab_dic": "ipadic"},
                               "subword_tokenizer_type": "character"},
    "mecab-unidic_lite-character": {"mecab_kwargs": {"mecab_dic": "unidic_lite"},
                                    "subword_tokenizer_type": "character"},
    "sudachi-A": {"word_tokenizer_type": "sudachi",
                  "sudachi_kwargs": {"sudachi_split_mode": "A", "sudachi_dict_type": "core"}},
    "sudachi-B-dictionary": {"word_tokenizer_type": "sudachi",
                             "sudachi_kwargs": {"sudachi_split_mode": "B",
                                                "sudachi_dict_type": "core",
                                                "sudachi_projection": "dictionary"}},
    "sudachitra-A-dictionary_and_surface": SUDACHITRA,
}  # fmt: skip


def reference_tokenizer(folder: Path, config: dict):
    """The published tokenizer itself, built from the folder's vocabulary and config."""
    vocab = str(folder / "vocab.txt")
    if config.get("word_tokenizer_type") == "sudachipy":
        from sudachitra import BertSudachipyTokenizer

        return BertSudachipyTokenizer(
            vocab, word_form_type=config["word_form_type"], do_nfkc=config["do_nfkc"],
            sudachipy_kwargs=config["sudachipy_kwargs"],
        )  # fmt: skip
    from transformers import BertJapaneseTokenizer

    entries = {k: v for k, v in config.items() if k != "tokenizer_class"}
    return BertJapaneseTokenizer(vocab, **entries)


def test_a_mecab_checkpoint_is_cut_with_nfkc_on_its_dictionary(repo, tmp_path):
    ipadic = SubwordTokenizer.from_directory(
        checkpoint_folder(repo, tmp_path, {"mecab_dic": "ipadic"})
    )
    assert ipadic.normalization == "NFKC" and not ipadic.split_punctuation
    assert "ipadic" in ipadic.words.mecab_args
    unidic = SubwordTokenizer.from_directory(
        checkpoint_folder(repo, tmp_path, {"mecab_dic": "unidic_lite"})
    )
    assert "unidic_lite" in unidic.words.mecab_args
    unidic.save(tmp_path / "export-tokenizer")  # an export keeps the cut it was trained with
    saved = json.loads((tmp_path / "export-tokenizer/subword_tokenizer.json").read_text("utf-8"))
    # by package name, not by this machine's path to it: the export loads elsewhere too
    assert (saved["dictionary"], saved["mecab_args"]) == ("unidic_lite", None)
    again = SubwordTokenizer.from_directory(tmp_path / "export-tokenizer")
    assert (again.words.mecab_args, again.normalization, again.split_punctuation) == (
        unidic.words.mecab_args, "NFKC", False,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_piece_ids_equal_the_published_tokenizer_s_on_every_gsd_dev_and_test_sentence(
    repo, tmp_path, converted_gsd, configuration
):
    folder = checkpoint_folder(repo, tmp_path, **CONFIGURATIONS[configuration])
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    theirs = reference_tokenizer(folder, config)
    ours = SubwordTokenizer.from_directory(folder)
    texts = [
        e.text
        for split in ("dev", "test")
        for e in read_rasa_data(converted_gsd["v2.6-NE"] / f"{split}.yml")
    ]
    differing = []
    for text in texts:
        pieces = [p.id for word in ours.tokenize(text).word_pieces for p in word]
        if pieces != theirs.convert_tokens_to_ids(theirs.tokenize(text)):
            differing.append(text)
    assert len(texts) == 1045
    assert differing == []


def test_sudachi_and_character_checkpoints_keep_their_cut_through_an_export(repo, tmp_path):
    tra = SubwordTokenizer.from_directory(checkpoint_folder(repo, tmp_path, **SUDACHITRA))
    assert tra.words.settings() == {"words": "sudachi", "split_mode": "A", "dictionary": "core",
                                    "word_form": "dictionary_and_surface",
                                    "normalization": None}  # fmt: skip
    # the dictionary form ガッコウ is one character shorter than ｶﾞｯｺｳ: its pieces lie on the
    # whole surface word; ＡＢＣ → ABC keeps its length, so each piece keeps its character;
    # a conjugating word (走っ) is seen as written
    text = "ｶﾞｯｺｳとＡＢＣへ走った"
    words = tra.words.tokenize(text)
    assert [(w.text, w.form) for w in words] == [
        ("ｶﾞｯｺｳ", "ガッコウ"), ("と", None), ("ＡＢＣ", "ABC"), ("へ", None), ("走っ", None),
        ("た", None),
    ]  # fmt: skip
    tokenized = tra.tokenize(text)
    assert {(p.start, p.end) for p in tokenized.word_pieces[0]} == {(0, 5)}
    assert [(p.start, p.end) for p in tokenized.word_pieces[2]] == [(6, 7), (7, 8), (8, 9)]
    tra.save(tmp_path / "export-sudachi")
    again = SubwordTokenizer.from_directory(tmp_path / "export-sudachi")
    assert again.words.settings() == tra.words.settings() and not again.split_punctuation
    assert again.tokenize(text) == tokenized
    chars = SubwordTokenizer.from_directory(
        checkpoint_folder(repo, tmp_path / "c" if (tmp_path / "c").mkdir() is None else None,
                          {"mecab_dic": "ipadic"}, subword_tokenizer_type="character")
    )  # fmt: skip
    assert chars.subwords == "character"
    assert [(p.start, p.end) for p in chars.tokenize("東京都庁").word_pieces[0]][:2] == [
        (0, 1), (1, 2),
    ]  # fmt: skip
    chars.save(tmp_path / "export-chars")
    assert SubwordTokenizer.from_directory(tmp_path / "export-chars").subwords == "character"


@pytest.mark.parametrize(
    "mecab_kwargs, message",
    [
        ({"mecab_dic": "unidic"}, "pip install unidic"),  # full UniDic: not installed here
        ({"mecab_dic": None, "mecab_option": "-d /usr/lib/mecab/dic/mecab-ipadic-neologd"},
         "NEologd, not on PyPI"),
    ],
)  # fmt: skip
def test_a_dictionary_this_machine_lacks_is_a_clear_error_not_ipadic(
    repo, tmp_path, mecab_kwargs, message
):
    import importlib.util

    if mecab_kwargs.get("mecab_dic") and importlib.util.find_spec(mecab_kwargs["mecab_dic"]):
        pytest.skip(f"{mecab_kwargs['mecab_dic']} is installed here")
    with pytest.raises(UnsupportedWordTokenizer, match=message):
        SubwordTokenizer.from_directory(checkpoint_folder(repo, tmp_path, mecab_kwargs))
