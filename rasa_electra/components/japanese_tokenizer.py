"""``JapaneseTokenizer``: a Rasa 3 tokenizer component on MeCab (fugashi; ipadic by default,
UniDic on request) or Sudachi (split mode A, B or C), optionally on NFKC text with offsets kept
on the original.

Use it in ``config.yml`` by class path:
``- name: rasa_electra.components.japanese_tokenizer.JapaneseTokenizer``.
Tokens carry the dictionary's part of speech under Rasa's ``pos`` key, so
LexicalSyntacticFeaturizer and CRFEntityExtractor can use their ``pos``/``pos2`` features
(``pos2`` — the first two characters — is the top-level class such as 名詞 or 動詞).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_electra.tokenization.segmenters import settings_from_options, word_segmenter
from rasa_electra.tokenization.words import Word

POS_TAG_KEY = "pos"  # the key Rasa's featurizers read (rasa.nlu.tokenizers.spacy_tokenizer)
FORM_KEY = "form"  # what a subword vocabulary sees when it is not the surface (NFKC, Sudachi)
# the message key under which the tokenizer leaves its segmenter's settings, so a later
# component that reads its tokens as words can tell whether they are the words it expects
SEGMENTER_KEY = "japanese_tokenizer_segmenter"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class JapaneseTokenizer(Tokenizer):
    """Splits Japanese text into MeCab or Sudachi words with exact character offsets."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # the words: MeCab's dictionary package "ipadic", "unidic_lite" or "unidic"
            # (installed separately), as a published checkpoint's tokenizer_config.json names
            # it; or Sudachi: "sudachi" (its core dictionary), "sudachi_small", "sudachi_full"
            "dictionary": "ipadic",
            # Sudachi's unit: "A" (shortest), "B" or "C" (named-entity sized)
            "split_mode": "C",
            # "NFKC": segment the normalized text, as transformers' MecabTokenizer does; token
            # offsets stay on the original characters. None: the text as it is.
            "normalization": None,
            # MeCab arguments instead of `dictionary`, e.g. a user dictionary:
            # "-r /dev/null -d <ipadic dir> -u my.dic"
            "mecab_args": None,
            # Rasa's common tokenizer options
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["ja"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["fugashi", "ipadic"]

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._words = word_segmenter(settings_from_options(config))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> JapaneseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        tokens = []
        for word in self._words.tokenize(text):
            data = {POS_TAG_KEY: word.pos} if word.pos else {}
            if word.form:
                data[FORM_KEY] = word.form
            tokens.append(Token(word.text, word.start, word.end, data=data, lemma=word.lemma))
        if attribute == TEXT:
            message.set(SEGMENTER_KEY, self._words.settings())
        return self._apply_token_pattern(tokens)


def message_words(message: Message, text: str) -> list[Word] | None:
    """A message's tokens as words (one analysis per message, for a later component), or None:
    no tokens, or tokens whose offsets do not spell the text (a token pattern rewrote them)."""
    tokens = message.get(TOKENS_NAMES[TEXT])
    if not tokens:
        return None
    words = [
        Word(t.text, t.start, t.end, t.get(POS_TAG_KEY), None, t.get(FORM_KEY)) for t in tokens
    ]
    ends = [0] + [w.end for w in words[:-1]]
    if any(
        text[w.start : w.end] != w.text or w.start < e for w, e in zip(words, ends, strict=True)
    ):
        return None
    return words
