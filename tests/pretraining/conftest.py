"""A tiny Japanese corpus, its WordPiece vocabulary and shards, made by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.pretraining.corpus import read_corpus, write_corpus
from lab.pretraining.shards import build_shards
from rasa_electra.tokenization.subwords import SubwordTokenizer
from rasa_electra.tokenization.vocab import build_wordpiece_vocab

DOCUMENTS = [
    "東京都は日本の首都である。人口は約千四百万人だ。\n毎年多くの観光客が訪れる。",
    "田中さんは大阪で生まれた。「大阪は楽しい。」と彼は言った。",
    "昨日、京都の大学で会議が開かれた。会議には百人が参加した。",
    "富士山は日本で一番高い山です。山頂からの景色は美しい。",
    "新しい駅が来年の春に完成する予定だ。駅の近くには公園がある。",
    "彼女は毎朝六時に起きて、近所を走る。走った後はコーヒーを飲む。",
]


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    """The documents above, many times over, through the real corpus writer (plain format)."""
    directory = tmp_path_factory.mktemp("corpus")
    raw = directory / "raw.txt"
    raw.write_text("\n\n".join(DOCUMENTS * 8) + "\n", encoding="utf-8")
    corpus = directory / "corpus.txt"
    with corpus.open("w", encoding="utf-8") as out:
        write_corpus([(raw, "plain")], out)
    return corpus


@pytest.fixture(scope="session")
def corpus_vocab(corpus_file, tmp_path_factory) -> Path:
    sentences = (s for document in read_corpus(corpus_file) for s in document)
    directory = tmp_path_factory.mktemp("vocab")
    build_wordpiece_vocab(sentences, directory, vocab_size=300, min_frequency=1)
    return directory


@pytest.fixture(scope="session")
def shards_dir(corpus_file, corpus_vocab, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("shards")
    build_shards(read_corpus(corpus_file), SubwordTokenizer.from_directory(corpus_vocab),
                 directory, max_seq_length=32, shard_size=20)  # fmt: skip
    return directory


def _cpu_batch(data, rows) -> dict:
    """The trainer's own batch of ``rows`` (ids, segments, mask from ``DeviceBatches``), on
    the CPU, as numpy arrays."""
    import numpy as np
    import torch

    from lab.pretraining.trainer import DeviceBatches

    batch = DeviceBatches(data, torch.device("cpu"))(np.asarray(rows))
    return {name: tensor.numpy() for name, tensor in batch.items()}


def _livedoor_tree(root: Path, per_category: int = 3) -> Path:
    """A corpus folder shaped like ldcc-20140209 (URL, date, title, body; LICENSE.txt)."""
    for category in ("sports-watch", "it-life-hack", "peachy"):
        folder = root / category
        folder.mkdir(parents=True)
        (folder / "LICENSE.txt").write_text("ライセンス\n", encoding="utf-8")
        for number in range(per_category):
            (folder / f"{category}-{number}.txt").write_text(
                f"http://news.example/{number}/\n2012-01-01T00:00:00+0900\n"
                f"{category}の記事{number}\n\n本文です。{category}について書く。\n",
                encoding="utf-8",
            )
    return root


@pytest.fixture(scope="session")
def livedoor_tree():
    """Makes a livedoor-shaped corpus folder: ``livedoor_tree(root, per_category)``."""
    return _livedoor_tree


@pytest.fixture(scope="session")
def cpu_batch():
    """Cuts a batch the way the trainer does: ``cpu_batch(data, rows)``."""
    return _cpu_batch
