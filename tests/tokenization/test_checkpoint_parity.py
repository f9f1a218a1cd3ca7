"""Parity with transformers' BertJapaneseTokenizer (MeCab + ipadic or unidic-lite, NFKC,
WordPiece): the piece ids this project feeds a checkpoint cut that way are transformers' own,
on every GSD v2.6-NE dev and test sentence (the shipped encoder's vocabulary; no hub)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.tokenization.subwords import SubwordTokenizer, UnsupportedWordTokenizer


def checkpoint_folder(repo: Path, folder: Path, mecab_kwargs: dict) -> Path:
    """A checkpoint folder as cl-tohoku/izumi-lab publish one: vocab.txt and a
    tokenizer_config.json naming BertJapaneseTokenizer with MeCab and ``mecab_kwargs``."""
    vocab = repo / "pretrained/electra-small-ja/vocab.txt"
    (folder / "vocab.txt").write_bytes(vocab.read_bytes())
    config = {"tokenizer_class": "BertJapaneseTokenizer", "do_lower_case": False,
              "word_tokenizer_type": "mecab", "subword_tokenizer_type": "wordpiece",
              "mecab_kwargs": mecab_kwargs}  # fmt: skip
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


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
    again = SubwordTokenizer.from_directory(tmp_path / "export-tokenizer")
    assert (again.words.mecab_args, again.normalization, again.split_punctuation) == (
        unidic.words.mecab_args, "NFKC", False,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("dictionary", ["ipadic", "unidic_lite"])
def test_piece_ids_equal_transformers_on_every_gsd_dev_and_test_sentence(
    repo, tmp_path, converted_gsd, dictionary
):
    from transformers import BertJapaneseTokenizer

    folder = checkpoint_folder(repo, tmp_path, {"mecab_dic": dictionary})
    theirs = BertJapaneseTokenizer(
        str(folder / "vocab.txt"), do_lower_case=False,
        word_tokenizer_type="mecab", subword_tokenizer_type="wordpiece",
        mecab_kwargs={"mecab_dic": dictionary},
    )  # fmt: skip
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
