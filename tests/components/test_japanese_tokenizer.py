"""The Rasa tokenizer component: real Rasa Messages, offsets exact, POS set for featurizers."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_electra.components.japanese_tokenizer import JapaneseTokenizer

TOKENIZER = JapaneseTokenizer(JapaneseTokenizer.get_default_config())


def tokens_of(text: str):
    message = Message(data={TEXT: text})
    TOKENIZER.process([message])
    return message.get(TOKENS_NAMES[TEXT])


def test_tokens_have_exact_offsets_and_pos():
    text = "三代目 J SOUL BROTHERSが東京\u3000ドームに来た"
    tokens = tokens_of(text)
    assert [t.text for t in tokens][:5] == ["三", "代目", "J", "SOUL", "BROTHERS"]
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert {t.text: t.get("pos") for t in tokens}["東京"] == "名詞-固有名詞-地域"
    assert {t.text: t.lemma for t in tokens}["来"] == "来る"


def test_training_data_is_tokenized_and_intent_is_split_by_rasa():
    message = Message(data={TEXT: "東京に行く", "intent": "ask_weather"})
    TOKENIZER.process_training_data(TrainingData([message]))
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])] == ["東京", "に", "行く"]
    assert [t.text for t in message.get(TOKENS_NAMES["intent"])] == ["ask_weather"]


def test_token_pattern_option_splits_further():
    config = {**JapaneseTokenizer.get_default_config(), "token_pattern": r"\d|\D+"}
    message = Message(data={TEXT: "2020年"})
    JapaneseTokenizer(config).process([message])
    assert [(t.text, t.start) for t in message.get(TOKENS_NAMES[TEXT])] == [
        ("2", 0),
        ("0", 1),
        ("2", 2),
        ("0", 3),
        ("年", 4),
    ]


def test_registered_for_japanese():
    assert JapaneseTokenizer.supported_languages() == ["ja"]
    assert JapaneseTokenizer.required_packages() == ["fugashi", "ipadic"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_message_text_gets_exact_offsets(text):
    for token in tokens_of(text):
        assert text[token.start : token.end] == token.text
        assert token.start < token.end


def test_unidic_and_nfkc_are_options_with_offsets_on_the_original_text():
    config = {**JapaneseTokenizer.get_default_config(), "dictionary": "unidic_lite",
              "normalization": "NFKC"}  # fmt: skip
    tokenizer = JapaneseTokenizer(config)
    text = "ＡＢＣ１２３で東京に来た"
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert [t.text for t in tokens][:2] == ["ＡＢＣ", "１２３"]  # cut as ABC / 123, kept as typed
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert {t.text: t.lemma for t in tokens}["来"] == "来る"  # UniDic's lemma field
    assert {t.text: t.get("pos") for t in tokens}["東京"] == "名詞-固有名詞-地名"  # UniDic's POS


def sudachi_tokens(text: str, split_mode: str, normalization: str | None = None):
    config = {**JapaneseTokenizer.get_default_config(), "dictionary": "sudachi",
              "split_mode": split_mode, "normalization": normalization}  # fmt: skip
    message = Message(data={TEXT: text})
    JapaneseTokenizer(config).process([message])
    return message.get(TOKENS_NAMES[TEXT])


def test_sudachi_words_in_each_split_mode_with_exact_offsets():
    text = "関西国際空港で\u3000ｶﾞｯｺｳの話をした"
    short, long = sudachi_tokens(text, "A"), sudachi_tokens(text, "C")
    assert [t.text for t in short][:3] == ["関西", "国際", "空港"]
    assert [t.text for t in long][:2] == ["関西国際空港", "で"]  # C: the named-entity sized unit
    for tokens in (short, long, sudachi_tokens(text, "B", "NFKC")):
        assert all(text[t.start : t.end] == t.text for t in tokens)
        assert "\u3000" not in [t.text for t in tokens]
    assert {t.text: t.get("pos") for t in long}["関西国際空港"].startswith("名詞-固有名詞")
    assert {t.text: t.lemma for t in short}["し"] == "する"  # Sudachi's dictionary form


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_any_message_text_gets_exact_offsets_with_sudachi(text):
    for token in sudachi_tokens(text, "C", "NFKC"):
        assert text[token.start : token.end] == token.text and token.start < token.end


def test_an_unknown_dictionary_is_named_with_the_choices():
    import pytest

    config = {**JapaneseTokenizer.get_default_config(), "dictionary": "neologd"}
    with pytest.raises(ValueError, match="sudachi_core"):
        JapaneseTokenizer(config)
