"""MeCab words → WordPiece pieces: exact offsets, unknown words kept, saved and loaded alike
under transformers 4 (this environment) and 5 (the pretraining one)."""

from rasa_electra.tokenization.segmenters import settings_named, word_segmenter
from rasa_electra.tokenization.subwords import SubwordTokenizer


def test_pieces_have_exact_offsets_and_unknown_words_are_kept(vocab_dir):
    tokenizer = SubwordTokenizer.from_directory(vocab_dir)
    text = "山田太郎さんは 東京\u3000に🦜いる"
    tokenized = tokenizer.tokenize(text)
    for (start, end), pieces in zip(tokenized.word_offsets, tokenized.word_pieces, strict=True):
        assert pieces, "every word has at least one piece"
        assert pieces[0].start == start and pieces[-1].end == end
        for piece in pieces:
            assert text[piece.start : piece.end]
    unknown = tokenizer.pieces.unk_token_id
    pieces = [p for word in tokenized.word_pieces for p in word]
    parrot = [p for p in pieces if text[p.start : p.end] == "🦜"]
    assert [p.id for p in parrot] == [unknown]


def test_tokenizer_round_trips_through_save(vocab_dir, tmp_path):
    tokenizer = SubwordTokenizer.from_directory(vocab_dir)
    tokenizer.save(tmp_path)
    again = SubwordTokenizer.from_directory(tmp_path)
    text = "鈴木花子は大阪の出身です。"
    assert again.tokenize(text) == tokenizer.tokenize(text)


def test_other_words_are_used_and_saved_with_the_tokenizer(vocab_dir, tmp_path):
    tokenizer = SubwordTokenizer.from_directory(vocab_dir)
    text = "東京都庁舎の展望室"
    mecab_words = tokenizer.tokenize(text).word_offsets
    tokenizer.use_words(word_segmenter(settings_named("sudachi:C")))
    sudachi_words = tokenizer.tokenize(text).word_offsets
    assert sudachi_words != mecab_words
    tokenizer.save(tmp_path)
    again = SubwordTokenizer.from_directory(tmp_path)
    assert again.words.settings()["split_mode"] == "C"
    assert again.tokenize(text).word_offsets == sudachi_words


def test_remembered_words_give_the_pieces_at_their_new_offsets(vocab_dir, monkeypatch):
    from rasa_electra.tokenization import subwords

    monkeypatch.setattr(subwords, "WORD_CACHE_SIZE", 3)  # forgotten and relearnt on the way
    remembering = SubwordTokenizer.from_directory(vocab_dir)
    texts = ["東京に住む", "大阪と東京に住む山田", "東京", "山田太郎さんは東京に🦜いる"]
    for text in texts * 2:
        fresh = SubwordTokenizer.from_directory(vocab_dir)  # nothing remembered yet
        assert remembering.tokenize(text) == fresh.tokenize(text)
        assert len(remembering._word_cache) <= 3
