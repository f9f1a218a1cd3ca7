"""Words split into subwords by the start point's vocabulary, with exact offsets.

Words come from a word segmenter (MeCab or Sudachi: the same words the Rasa tokenizer component
uses), cut the way the start point was pretrained (its ``tokenizer_config.json``); each word is
split by a Hugging Face *fast* tokenizer, whose offset mapping is exact even when it normalizes
(lower-casing, NFD). A ``vocab.txt`` without ``tokenizer.json`` (the WordPiece vocabulary of
google-research/electra, cl-tohoku BERT or this project's pretraining) becomes a
``BertTokenizerFast`` that, like BertJapaneseTokenizer, does not split kanji into characters;
a ``character`` checkpoint's becomes one piece per character.
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
from rasa_electra.tokenization.segmenters import word_segmenter
from rasa_electra.tokenization.sudachi import WORD_FORMS, SudachiTokenizer
from rasa_electra.tokenization.words import WordSegmenter

SETTINGS_FILE = "subword_tokenizer.json"
WORD_CACHE_SIZE = 100_000  # distinct word surfaces whose pieces a tokenizer remembers
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
    # the analysed words themselves (POS, lemma): what word features are computed from
    words: tuple[Word, ...] = ()


class SubwordTokenizer:
    """Words → subword pieces, plus the special token ids a model needs. ``words`` is the word
    segmenter (default: MeCab with ``mecab_args`` on text normalized by ``normalization``)."""

    def __init__(
        self,
        pieces,
        mecab_args: str | None = None,
        normalization: str | None = None,
        words: WordSegmenter | None = None,
    ) -> None:
        self.pieces = pieces  # a transformers PreTrainedTokenizerFast
        self.words = words or MecabTokenizer(mecab_args, normalization)
        for name in ("cls_token_id", "sep_token_id", "pad_token_id", "unk_token_id"):
            if getattr(pieces, name) is None:
                raise ValueError(f"the subword tokenizer has no {name.removesuffix('_id')}")
        # the Rust tokenizer itself, called directly: the Python wrapper's per-call work was
        # half of this step's time (0.29 → 0.15 ms a GSD sentence, docs/journal)
        self._rust = pieces.backend_tokenizer
        self._rust.no_truncation()
        self._rust.no_padding()
        # surface → (id, start, end) of its pieces: a bot's messages repeat their words, and
        # the Rust call was the largest Python-side cost of a message after the model
        self._word_cache: dict[str, tuple[tuple[int, int, int], ...]] = {}

    def use_words(self, words: WordSegmenter) -> None:
        """Cut texts into these words from now on (e.g. the dictionary a Rasa pipeline uses);
        ``save`` records them, so an export segments as it was trained."""
        self.words = words

    @property
    def normalization(self) -> str | None:
        """The words' normalization (``"NFKC"`` where the checkpoint was cut so)."""
        return self.words.normalization

    @property
    def split_punctuation(self) -> bool:
        """Whether a word's pieces start afresh at punctuation (BERT's pre-tokenizer)."""
        from tokenizers import pre_tokenizers

        return not isinstance(self._rust.pre_tokenizer, pre_tokenizers.WhitespaceSplit)

    @property
    def do_lower_case(self) -> bool:
        return bool(getattr(self.pieces, "do_lower_case", False))

    @property
    def subwords(self) -> str:
        """``wordpiece`` or ``character`` (one piece per character, cl-tohoku's -char models)."""
        model = json.loads(self._rust.to_str())["model"]
        return "character" if model.get("type") == "WordLevel" else "wordpiece"

    @classmethod
    def from_directory(
        cls, directory: str | Path, mecab_args: str | None = None
    ) -> SubwordTokenizer:
        """Load from a start point or export folder (``tokenizer.json`` or ``vocab.txt``);
        ``mecab_args`` overrides the MeCab setup a MeCab checkpoint names."""
        directory = Path(directory)
        settings_path = directory / SETTINGS_FILE
        if settings_path.is_file():  # this project's own export or start point
            settings = json.loads(settings_path.read_text(encoding="utf-8"))
            if mecab_args and settings.get("words", "mecab") == "mecab":
                settings["mecab_args"] = mecab_args
            words = word_segmenter(settings)
            split_punctuation = settings.get("split_punctuation", True)
            subwords = settings.get("subwords", "wordpiece")
        else:  # a published checkpoint, cut as its tokenizer_config.json says
            words, split_punctuation, subwords = _published_cut(directory, mecab_args)
        if (directory / "tokenizer.json").is_file():
            from transformers import AutoTokenizer

            pieces = AutoTokenizer.from_pretrained(str(directory), use_fast=True)
            return cls(pieces, words=words)
        vocab = directory / "vocab.txt"
        if not vocab.is_file():
            raise FileNotFoundError(f"{directory} has neither tokenizer.json nor vocab.txt")
        if subwords == "character":
            return cls(bert_characters(vocab, _lower_case(directory)), words=words)
        pieces = bert_wordpiece(vocab, _lower_case(directory), split_punctuation)
        return cls(pieces, words=words)

    def save(self, directory: str | Path) -> None:
        """A WordPiece vocabulary is written as ``vocab.txt`` + ``tokenizer_config.json``, which
        transformers 4 and 5 read alike (their ``save_pretrained`` outputs differ); any other
        subword model keeps transformers' own files."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model = json.loads(self._rust.to_str())["model"]
        if model.get("type") in ("WordPiece", "WordLevel"):
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
        settings = {**self.words.settings(), "subwords": self.subwords,
                    "split_punctuation": self.split_punctuation}  # fmt: skip
        _write_json(directory / SETTINGS_FILE, settings)

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
        word_pieces = []
        for word, surface in zip(words, surfaces, strict=True):
            # a normalized form of another length cannot place pieces inside the original word
            inside = len(surface) == word.end - word.start
            pieces = [
                Piece(i, word.start + start, word.start + end)
                if inside
                else Piece(i, word.start, word.end)
                for i, start, end in self._pieces_of(surface)
            ]
            # a word the vocabulary cannot spell at all is one unknown piece, never dropped
            word_pieces.append(pieces or [Piece(self.pieces.unk_token_id, word.start, word.end)])
        return TokenizedText([(w.start, w.end) for w in words], word_pieces, tuple(words))

    def _pieces_of(self, surface: str) -> tuple[tuple[int, int, int], ...]:
        """(id, start, end) of a word's pieces, offsets within the word; remembered for up to
        ``WORD_CACHE_SIZE`` surfaces (then forgotten at once: a bounded, lock-free cache)."""
        found = self._word_cache.get(surface)
        if found is None:
            # one word at a time on this thread: encode_batch hands the words to the Rust
            # thread pool, which inside a server competes with the model's threads (2.1 ms p50
            # a GSD sentence against 0.29 ms this way, docs/journal)
            encoding = self._rust.encode(
                surface if _encodable(surface) else "", add_special_tokens=False
            )
            found = tuple(
                (i, start, end)
                for i, (start, end) in zip(encoding.ids, encoding.offsets, strict=True)
                if end > start
            )
            if len(self._word_cache) >= WORD_CACHE_SIZE:
                self._word_cache.clear()
            self._word_cache[surface] = found
        return found


class UnsupportedWordTokenizer(ValueError):
    """The checkpoint was cut with a word tokenizer this machine cannot reproduce."""


def _published_cut(directory: Path, mecab_args: str | None) -> tuple[WordSegmenter, bool, str]:
    """(words, split_punctuation, subwords) for a checkpoint folder, from its
    ``tokenizer_config.json``:

    - transformers' BertJapaneseTokenizer with MeCab: the dictionary it names, on NFKC text
      (``mecab_kwargs.normalize_text``, on by default); with Sudachi (``sudachi_kwargs``): its
      split mode and dictionary, surfaces, NFKC likewise;
    - SudachiTra's tokenizer (``word_tokenizer_type: sudachipy``): ``sudachipy_kwargs``' split mode
      and dictionary, its ``word_form_type``, NFKC only with ``do_nfkc``;
    - either: WordPiece split at whitespace only, or ``character`` pieces;
    - anything else keeps this project's cut (MeCab + ipadic, BERT's punctuation split)."""
    path = directory / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    kind = config.get("word_tokenizer_type")
    subwords = config.get("subword_tokenizer_type", "wordpiece")
    if kind not in ("mecab", "sudachi", "sudachipy"):
        return MecabTokenizer(mecab_args), True, "wordpiece"
    if subwords not in ("wordpiece", "character"):
        raise UnsupportedWordTokenizer(
            f"{directory} splits words with {subwords!r}; this project reproduces wordpiece "
            "and character"
        )
    if kind == "mecab":
        kwargs = config.get("mecab_kwargs") or {}
        normalization = "NFKC" if kwargs.get("normalize_text", True) else None
        if mecab_args:
            return MecabTokenizer(mecab_args, normalization), False, subwords
        return _checkpoint_mecab(directory, kwargs, normalization), False, subwords
    if kind == "sudachi":  # transformers' own SudachiTokenizer: surfaces, or a projection
        kwargs = config.get("sudachi_kwargs") or {}
        split_mode = kwargs.get("sudachi_split_mode") or "A"
        dictionary = kwargs.get("sudachi_dict_type") or "core"
        normalization = "NFKC" if kwargs.get("normalize_text", True) else None
        word_form = kwargs.get("sudachi_projection") or "surface"
        if word_form not in ("surface", "dictionary", "normalized"):
            raise UnsupportedWordTokenizer(
                f"{directory} was cut with Sudachi's projection {word_form!r}; this project "
                "reproduces surface, dictionary and normalized"
            )
    else:  # SudachiTra
        kwargs = config.get("sudachipy_kwargs") or {}
        split_mode, dictionary = kwargs.get("split_mode") or "A", kwargs.get("dict_type") or "core"
        normalization = "NFKC" if config.get("do_nfkc") else None
        word_form = config.get("word_form_type", "surface")
        if word_form not in WORD_FORMS:
            raise UnsupportedWordTokenizer(
                f"{directory} was cut with SudachiTra word_form_type {word_form!r}; this project "
                f"reproduces {', '.join(WORD_FORMS)}"
            )
    try:
        words = SudachiTokenizer(split_mode, dictionary, word_form, normalization)
    except ValueError as error:
        raise UnsupportedWordTokenizer(f"{directory} was cut with Sudachi: {error}") from error
    return words, False, subwords


def _checkpoint_mecab(directory: Path, mecab_kwargs: dict, normalization: str | None):
    """MeCab on the dictionary transformers used (``mecab_dic``, ``mecab_option``), kept by
    name so that an export made from it loads on another machine. A dictionary that is not
    installed, or an option naming one elsewhere (NEologd), is a clear error, never ipadic."""
    dictionary = mecab_kwargs.get("mecab_dic", "ipadic")
    option = mecab_kwargs.get("mecab_option")
    if dictionary not in DICTIONARIES:
        raise UnsupportedWordTokenizer(
            f"{directory} was cut with MeCab dictionary {dictionary!r}, option {option!r} (e.g. "
            "NEologd, not on PyPI): install that dictionary and pass mecab_args naming it"
        )
    try:
        mecab_args = mecab_args_for(dictionary, option) if option else None
        return MecabTokenizer(mecab_args, normalization, dictionary)
    except DictionaryMissing as error:
        raise UnsupportedWordTokenizer(f"{directory} was cut with {error}") from error


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bert_wordpiece(vocab: Path, do_lower_case: bool = False, split_punctuation: bool = True):
    """A fast WordPiece tokenizer for MeCab words: no CJK character split, no accent strip.
    ``split_punctuation=False`` splits a word at whitespace only, as BertJapaneseTokenizer's
    WordpieceTokenizer does (ウォルター・ローリー stays one word: ウォルター ##・ ##ロー …)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    ids = _vocabulary(vocab)
    rust = Tokenizer(models.WordPiece(ids, unk_token=SPECIAL_TOKENS["unk_token"]))
    rust.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=do_lower_case
    )
    rust.pre_tokenizer = (
        pre_tokenizers.BertPreTokenizer() if split_punctuation else pre_tokenizers.WhitespaceSplit()
    )
    rust.decoder = decoders.WordPiece(prefix="##")
    return _wrapped(rust, ids, do_lower_case)


def bert_characters(vocab: Path, do_lower_case: bool = False):
    """One piece per character of each word (unknown characters → [UNK]), as
    BertJapaneseTokenizer's ``character`` subword tokenizer cuts cl-tohoku's -char models."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

    ids = _vocabulary(vocab)
    rust = Tokenizer(models.WordLevel(ids, unk_token=SPECIAL_TOKENS["unk_token"]))
    if do_lower_case:
        rust.normalizer = normalizers.Lowercase()
    rust.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex("."), "isolated")]
    )
    return _wrapped(rust, ids, do_lower_case)


def _vocabulary(vocab: Path) -> dict[str, int]:
    """A ``vocab.txt`` (one token a line) as token → id; BERT's special tokens must be there."""
    lines = Path(vocab).read_text(encoding="utf-8").splitlines()
    ids = {token: i for i, token in enumerate(lines)}
    missing = [t for n, t in SPECIAL_TOKENS.items() if n != "mask_token" and t not in ids]
    if missing:
        raise ValueError(f"{vocab} lacks {', '.join(missing)}")
    return ids


def _wrapped(rust, ids: dict[str, int], do_lower_case: bool):
    """A Rust tokenizer with BERT's [CLS] … [SEP] template, as a transformers fast tokenizer.
    Built from the ``tokenizers`` parts and wrapped, because ``BertTokenizerFast``'s constructor
    changed between transformers 4 (``vocab_file``) and 5 (``vocab``); this works on both."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    cls, sep = SPECIAL_TOKENS["cls_token"], SPECIAL_TOKENS["sep_token"]
    rust.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}",
        pair=f"{cls} $A {sep} $B:1 {sep}:1",
        special_tokens=[(cls, ids[cls]), (sep, ids[sep])],
    )
    special = {name: token for name, token in SPECIAL_TOKENS.items() if token in ids}
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
