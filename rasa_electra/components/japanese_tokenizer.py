"""``JapaneseTokenizer``: a Rasa 3 tokenizer component on MeCab (fugashi + ipadic).

Use it in ``config.yml`` by class path:
``- name: rasa_electra.components.japanese_tokenizer.JapaneseTokenizer``.
Tokens carry ipadic's part of speech under Rasa's ``pos`` key, so LexicalSyntacticFeaturizer and
CRFEntityExtractor can use their ``pos``/``pos2`` features (``pos2`` — the first two characters —
is the top-level class such as 名詞 or 動詞).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from rasa_electra.tokenization.mecab import MecabTokenizer

POS_TAG_KEY = "pos"  # the key Rasa's featurizers read (rasa.nlu.tokenizers.spacy_tokenizer)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class JapaneseTokenizer(Tokenizer):
    """Splits Japanese text into MeCab words with exact character offsets."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # MeCab arguments; None means the ipadic package's dictionary.
            # Add a user dictionary with e.g. "-r /dev/null -d <ipadic dir> -u my.dic".
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
        self._mecab = MecabTokenizer(config.get("mecab_args"))

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
        tokens = [
            Token(
                word.text,
                word.start,
                word.end,
                data={POS_TAG_KEY: word.pos} if word.pos else None,
                lemma=word.lemma,
            )
            for word in self._mecab.tokenize(text)
        ]
        return self._apply_token_pattern(tokens)
