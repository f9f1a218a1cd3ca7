"""Vocabulary and token-id shards: the vocabulary loads in the fine-tuning tokenizer, packing
loses no text, shards read back as the sequences that were written."""

from __future__ import annotations

import numpy as np
import pytest

from lab.pretraining.corpus import read_corpus
from lab.pretraining.pack import pack_sequences, read_pack
from lab.pretraining.shards import build_shards, pack_document, read_shards, sentence_ids
from rasa_electra.tokenization.subwords import SubwordTokenizer


def test_vocabulary_loads_in_the_fine_tuning_tokenizer(corpus_vocab) -> None:
    tokenizer = SubwordTokenizer.from_directory(corpus_vocab)
    text = "田中さんは東京の大学で会議を開いた。"
    tokenized = tokenizer.tokenize(text)
    pieces = [p for word in tokenized.word_pieces for p in word]
    assert tokenizer.pieces.unk_token_id not in {p.id for p in pieces}
    # exact offsets: the pieces tile every word of the original text
    assert "".join(text[p.start : p.end] for p in pieces) == text


def test_packing_keeps_every_id_in_order() -> None:
    rng = np.random.default_rng(0)
    sentences = [[1, 2, 3], [4, 5], list(range(10, 30)), [6], [7, 8, 9]]
    packed = list(pack_document(sentences, content_length=8, rng=rng))
    assert all(len(a) + len(b) <= 8 for a, b in packed)
    assert [i for a, b in packed for i in a + b] == [i for s in sentences for i in s]
    assert all(a for a, _ in packed)


def test_shards_read_back(corpus_file, corpus_vocab, shards_dir, cpu_batch) -> None:
    data = read_shards(shards_dir)
    tokenizer = SubwordTokenizer.from_directory(shards_dir / "tokenizer")
    assert data.vocab_size == tokenizer.vocab_size
    assert len(list(shards_dir.glob("shard-*.lengths.npy"))) > 1  # shard_size=20 in the fixture
    assert data.special_ids["sep_token"] == tokenizer.pieces.sep_token_id
    cls, sep = tokenizer.pieces.cls_token_id, tokenizer.pieces.sep_token_id
    batch = cpu_batch(data, np.arange(len(data)))
    content = []
    for ids, segments, mask in zip(batch["input_ids"], batch["token_type_ids"],
                                   batch["attention_mask"], strict=True):  # fmt: skip
        length = int(mask.sum())
        assert length <= 32 and ids[0] == cls and ids[length - 1] == sep
        assert (ids[length:] == tokenizer.pieces.pad_token_id).all()
        first_sep = int(np.where(ids == sep)[0][0])
        assert (segments[: first_sep + 1] == 0).all()
        assert (segments[first_sep + 1 : length] == 1).all()
        content += [int(i) for i in ids[:length] if i not in (cls, sep)]
    expected = [
        i for document in read_corpus(corpus_file) for s in document
        for i in sentence_ids(tokenizer, s)
    ]  # fmt: skip
    assert content == expected
    assert data.info["tokens"] == int(batch["attention_mask"].sum())


def test_two_workers_make_the_same_shards(corpus_file, corpus_vocab, shards_dir, tmp_path) -> None:
    parallel = tmp_path / "parallel"
    build_shards(read_corpus(corpus_file), SubwordTokenizer.from_directory(corpus_vocab),
                 parallel, max_seq_length=32, shard_size=20, workers=2)  # fmt: skip
    one, two = read_shards(shards_dir), read_shards(parallel)
    assert np.array_equal(one.ids, two.ids) and np.array_equal(one.lengths, two.lengths)


def test_pack_round_trip_and_damage(shards_dir, tmp_path, cpu_batch) -> None:
    data = read_shards(shards_dir)
    manifest = pack_sequences(data, tmp_path / "pack", part_sequences=7)
    assert len(manifest["parts"]) == -(-len(data) // 7) and manifest["tokens"] == data.tokens
    back = read_pack(tmp_path / "pack")
    assert np.array_equal(back.ids, data.ids) and np.array_equal(back.lengths, data.lengths)
    assert back.special_ids == data.special_ids
    for name in ("input_ids", "token_type_ids", "attention_mask"):
        assert np.array_equal(
            cpu_batch(back, np.arange(5))[name], cpu_batch(data, np.arange(5))[name]
        )
    # a trip that carried only the first parts
    assert len(read_pack(tmp_path / "pack", max_parts=2)) == 14
    part = tmp_path / "pack" / manifest["parts"][0]["name"]
    part.write_bytes(part.read_bytes()[:-1] + b"\0")
    with pytest.raises(ValueError, match="checksum mismatch"):
        read_pack(tmp_path / "pack")
