"""Parity with transformers' BertJapaneseTokenizer (MeCab + ipadic, NFKC, WordPiece): the piece
ids this project feeds a checkpoint cut that way are transformers' own, on every GSD v2.6-NE dev
and test sentence (the shipped encoder's vocabulary; no hub)."""

from __future__ import annotations

import json

import pytest

from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.tokenization.subwords import SubwordTokenizer


@pytest.fixture(scope="module")
def mecab_ipadic_nfkc_checkpoint(repo, tmp_path_factory):
    """A checkpoint folder as cl-tohoku/izumi-lab publish one: vocab.txt and a
    tokenizer_config.json naming BertJapaneseTokenizer with MeCab + ipadic."""
    folder = tmp_path_factory.mktemp("mecab-ipadic")
    (folder / "vocab.txt").write_bytes(
        (repo / "pretrained/electra-small-ja/vocab.txt").read_bytes()
    )
    config = {"tokenizer_class": "BertJapaneseTokenizer", "do_lower_case": False,
              "word_tokenizer_type": "mecab", "subword_tokenizer_type": "wordpiece",
              "mecab_kwargs": {"mecab_dic": "ipadic"}}  # fmt: skip
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_a_mecab_checkpoint_is_cut_with_nfkc(mecab_ipadic_nfkc_checkpoint):
    assert SubwordTokenizer.from_directory(mecab_ipadic_nfkc_checkpoint).normalization == "NFKC"


@pytest.mark.slow
def test_piece_ids_equal_transformers_on_every_gsd_dev_and_test_sentence(
    mecab_ipadic_nfkc_checkpoint, converted_gsd
):
    from transformers import BertJapaneseTokenizer

    theirs = BertJapaneseTokenizer(
        str(mecab_ipadic_nfkc_checkpoint / "vocab.txt"), do_lower_case=False,
        word_tokenizer_type="mecab", subword_tokenizer_type="wordpiece",
        mecab_kwargs={"mecab_dic": "ipadic"},
    )  # fmt: skip
    ours = SubwordTokenizer.from_directory(mecab_ipadic_nfkc_checkpoint)
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
    assert len(texts) > 1000
    assert differing == []


@pytest.mark.parametrize(
    "mecab_kwargs, message",
    [
        ({"mecab_dic": "unidic_lite"}, "pip install unidic-lite"),
        ({"mecab_dic": None, "mecab_option": "-d /usr/lib/mecab/dic/mecab-ipadic-neologd"},
         "NEologd, not on PyPI"),
    ],
)  # fmt: skip
def test_a_dictionary_this_machine_lacks_is_a_clear_error_not_ipadic(
    mecab_ipadic_nfkc_checkpoint, tmp_path, mecab_kwargs, message
):
    import importlib.util

    from rasa_electra.tokenization.subwords import UnsupportedWordTokenizer

    if mecab_kwargs.get("mecab_dic") and importlib.util.find_spec(mecab_kwargs["mecab_dic"]):
        pytest.skip(f"{mecab_kwargs['mecab_dic']} is installed here")
    (tmp_path / "vocab.txt").write_bytes((mecab_ipadic_nfkc_checkpoint / "vocab.txt").read_bytes())
    config = {"tokenizer_class": "BertJapaneseTokenizer", "word_tokenizer_type": "mecab",
              "mecab_kwargs": mecab_kwargs}  # fmt: skip
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(UnsupportedWordTokenizer, match=message):
        SubwordTokenizer.from_directory(tmp_path)
