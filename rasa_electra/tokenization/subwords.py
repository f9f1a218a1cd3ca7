"""MeCab words split into subwords by the start point's vocabulary, with exact offsets.

Words come from ``MecabTokenizer`` (the same words the Rasa tokenizer component uses); each word
is split by a Hugging Face *fast* tokenizer, whose offset mapping is exact even when it
normalizes (lower-casing, NFD). A ``vocab.txt`` without ``tokenizer.json`` (the WordPiece
vocabulary of google-research/electra, cl-tohoku BERT or this project's pretraining) becomes a
``BertTokenizerFast`` that, like BertJapaneseTokenizer, does not split kanji into characters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rasa_electra.tokenization.mecab import (
    DICTIONARIES,
    DictionaryMissing,
    MecabTokenizer,
    Word,
    mecab_args_for,
)

SETTINGS_FILE = "subword_tokenizer.json"
# what ``SubwordTokenizer.save`` writes for a WordPiece vocabulary (copied along with a model)
WORDPIECE_FILES = ("vocab.txt", "tokenizer_config.json", SETTINGS_FILE)
# BERT's special tokens, by the names transformers gives them
SPECIAL_TOKENS = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}


@dataclass(frozen=True)
class Piece:
    """One subword: its vocabulary id and character offsets in the original text."""

    id: int
    start: int
    end: int


@dataclass(frozen=True)
class TokenizedText:
    """Words (offsets) and each word's pieces; a word may have [UNK] as its only piece."""

    word_offsets: list[tuple[int, int]]
    word_pieces: list[list[Piece]]


class SubwordTokenizer:
    """MeCab words → subword pieces, plus the special token ids a model needs."""

    def __init__(
        self, pieces, mecab_args: str | None = None, normalization: str | None = None
    ) -> None:
        self.pieces = pieces  # a transformers PreTrainedTokenizerFast
        self.mecab_args = mecab_args
        self.normalization = normalization  # "NFKC" as the checkpoint was cut, or None
        self.words = MecabTokenizer(mecab_args, normalization)
        for name in ("cls_token_id", "sep_token_id", "pad_token_id", "unk_token_id"):
            if getattr(pieces, name) is None:
                raise ValueError(f"the subword tokenizer has no {name.removesuffix('_id')}")
        # the Rust tokenizer itself, called directly: the Python wrapper's per-call work was
        # half of this step's time (0.29 → 0.15 ms a GSD sentence, docs/results.md)
        self._rust = pieces.backend_tokenizer
        self._rust.no_truncation()
        self._rust.no_padding()

    @property
    def split_punctuation(self) -> bool:
        """Whether a word's pieces start afresh at punctuation (BERT's pre-tokenizer)."""
        from tokenizers import pre_tokenizers

        return not isinstance(self._rust.pre_tokenizer, pre_tokenizers.WhitespaceSplit)

    @property
    def do_lower_case(self) -> bool:
        return bool(getattr(self.pieces, "do_lower_case", False))

    @classmethod
    def from_directory(
        cls, directory: str | Path, mecab_args: str | None = None
    ) -> SubwordTokenizer:
        """Load from a start point or export folder (``tokenizer.json`` or ``vocab.txt``)."""
        directory = Path(directory)
        settings_path = directory / SETTINGS_FILE
        if settings_path.is_file():  # this project's own export or start point
            settings = json.loads(settings_path.read_text(encoding="utf-8"))
            mecab_args = settings.get("mecab_args")
            normalization = settings.get("normalization")
            split_punctuation = settings.get("split_punctuation", True)
        else:  # a published checkpoint, cut as its tokenizer_config.json says
            mecab_args, normalization, split_punctuation = _published_cut(directory, mecab_args)
        if (directory / "tokenizer.json").is_file():
            from transformers import AutoTokenizer

            pieces = AutoTokenizer.from_pretrained(str(directory), use_fast=True)
            return cls(pieces, mecab_args, normalization)
        vocab = directory / "vocab.txt"
        if not vocab.is_file():
            raise FileNotFoundError(f"{directory} has neither tokenizer.json nor vocab.txt")
        pieces = bert_wordpiece(vocab, _lower_case(directory), split_punctuation)
        return cls(pieces, mecab_args, normalization)

    def save(self, directory: str | Path) -> None:
        """A WordPiece vocabulary is written as ``vocab.txt`` + ``tokenizer_config.json``, which
        transformers 4 and 5 read alike (their ``save_pretrained`` outputs differ); any other
        subword model keeps transformers' own files."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model = json.loads(self._rust.to_str())["model"]
        if model.get("type") == "WordPiece":
            vocab = sorted(model["vocab"].items(), key=lambda item: item[1])
            (directory / "vocab.txt").write_text(
                "".join(f"{token}\n" for token, _ in vocab), encoding="utf-8"
            )
            config = {
                "tokenizer_class": "BertTokenizerFast",
                "do_lower_case": self.do_lower_case,
                "tokenize_chinese_chars": False,
                "strip_accents": False,
                **{name: getattr(self.pieces, name) for name in SPECIAL_TOKENS},
            }
            _write_json(directory / "tokenizer_config.json", config)
        else:
            self.pieces.save_pretrained(str(directory))
        _write_json(
            directory / SETTINGS_FILE,
            {
                "words": "mecab",
                "mecab_args": self.mecab_args,
                "normalization": self.normalization,
                "split_punctuation": self.split_punctuation,
            },
        )

    @property
    def vocab_size(self) -> int:
        return len(self.pieces)

    def tokenize(self, text: str, words: Sequence[Word] | None = None) -> TokenizedText:
        """Subwords of ``text``'s MeCab words (``words``: already segmented, e.g. by Rasa)."""
        words = self.words.tokenize(text) if words is None else words
        if not words:
            return TokenizedText([], [])
        # the Rust tokenizer cannot take lone surrogates (MeCab gives each its own word):
        # such a word goes in empty and comes out as one unknown piece below
        surfaces = [w.form or w.text for w in words]  # what the checkpoint saw (normalized)
        encodings = self._rust.encode_batch(
            [s if _encodable(s) else "" for s in surfaces], add_special_tokens=False
        )
        word_pieces = []
        for word, surface, encoding in zip(words, surfaces, encodings, strict=True):
            # a normalized form of another length cannot place pieces inside the original word
            inside = len(surface) == word.end - word.start
            pieces = [
                Piece(i, word.start + start, word.start + end)
                if inside
                else Piece(i, word.start, word.end)
                for i, (start, end) in zip(encoding.ids, encoding.offsets, strict=True)
                if end > start
            ]
            # a word the vocabulary cannot spell at all is one unknown piece, never dropped
            word_pieces.append(pieces or [Piece(self.pieces.unk_token_id, word.start, word.end)])
        return TokenizedText([(w.start, w.end) for w in words], word_pieces)


class UnsupportedWordTokenizer(ValueError):
    """The checkpoint was cut with a MeCab setup this machine cannot reproduce."""


def _published_cut(directory: Path, mecab_args: str | None) -> tuple[str | None, str | None, bool]:
    """(MeCab arguments, normalization, split_punctuation) for a checkpoint folder. One whose
    ``tokenizer_config.json`` names transformers' MeCab word tokenizer (BertJapaneseTokenizer)
    was cut on NFKC text (``mecab_kwargs.normalize_text``, on by default), with the dictionary
    it names, and WordPiece split at whitespace only; any other keeps this project's cut."""
    path = directory / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if config.get("word_tokenizer_type") != "mecab":
        return mecab_args, None, True
    kwargs = config.get("mecab_kwargs") or {}
    normalization = "NFKC" if kwargs.get("normalize_text", True) else None
    if mecab_args is None:
        mecab_args = _checkpoint_mecab_args(directory, kwargs)
    return mecab_args, normalization, False


def _checkpoint_mecab_args(directory: Path, mecab_kwargs: dict) -> str | None:
    """MeCab arguments for the dictionary transformers used (``mecab_dic``, ``mecab_option``);
    None for ipadic, this project's default. A dictionary that is not installed, or an option
    naming one elsewhere (NEologd), is a clear error, never ipadic."""
    dictionary = mecab_kwargs.get("mecab_dic", "ipadic")
    option = mecab_kwargs.get("mecab_option")
    if dictionary == "ipadic" and not option:
        return None
    if dictionary in DICTIONARIES:
        try:
            return mecab_args_for(dictionary, option)
        except DictionaryMissing as error:
            raise UnsupportedWordTokenizer(f"{directory} was cut with {error}") from error
    raise UnsupportedWordTokenizer(
        f"{directory} was cut with MeCab dictionary {dictionary!r}, option {option!r} (e.g. "
        "NEologd, not on PyPI): install that dictionary and pass mecab_args naming it"
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bert_wordpiece(vocab: Path, do_lower_case: bool = False, split_punctuation: bool = True):
    """A fast WordPiece tokenizer for MeCab words: no CJK character split, no accent strip.
    ``split_punctuation=False`` splits a word at whitespace only, as BertJapaneseTokenizer's
    WordpieceTokenizer does (ウォルター・ローリー stays one word: ウォルター ##・ ##ロー …).

    Built from the ``tokenizers`` parts and wrapped, because ``BertTokenizerFast``'s constructor
    changed between transformers 4 (``vocab_file``) and 5 (``vocab``); this works on both."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    lines = Path(vocab).read_text(encoding="utf-8").splitlines()
    ids = {token: i for i, token in enumerate(lines)}
    special = {name: token for name, token in SPECIAL_TOKENS.items() if token in ids}
    if special.keys() < set(SPECIAL_TOKENS) - {"mask_token"}:
        raise ValueError(f"{vocab} lacks one of {list(SPECIAL_TOKENS.values())[:4]}")
    rust = Tokenizer(models.WordPiece(ids, unk_token=SPECIAL_TOKENS["unk_token"]))
    rust.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=do_lower_case
    )
    rust.pre_tokenizer = (
        pre_tokenizers.BertPreTokenizer() if split_punctuation else pre_tokenizers.WhitespaceSplit()
    )
    rust.decoder = decoders.WordPiece(prefix="##")
    cls, sep = SPECIAL_TOKENS["cls_token"], SPECIAL_TOKENS["sep_token"]
    rust.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}",
        pair=f"{cls} $A {sep} $B:1 {sep}:1",
        special_tokens=[(cls, ids[cls]), (sep, ids[sep])],
    )
    pieces = PreTrainedTokenizerFast(tokenizer_object=rust, **special)
    pieces.do_lower_case = do_lower_case
    return pieces


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _lower_case(directory: Path) -> bool:
    config = directory / "tokenizer_config.json"
    if config.is_file():
        return bool(json.loads(config.read_text(encoding="utf-8")).get("do_lower_case", False))
    return False
