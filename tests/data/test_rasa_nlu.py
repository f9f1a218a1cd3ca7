"""Rasa YAML written here must load through Rasa's own loader with identical text and spans."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasa_electra.data.annotation import UnrepresentableError
from rasa_electra.data.bio import read_bio
from rasa_electra.data.rasa_nlu import (
    NluData,
    NluFormatError,
    Section,
    read_rasa_data,
    read_rasa_markdown,
    to_rasa_markdown,
    to_rasa_yaml,
    write_rasa_markdown,
    write_rasa_yaml,
)
from rasa_electra.data.spans import Example, Span


def yaml_round_trip(tmp_path: Path, examples: list[Example]) -> list[Example]:
    path = tmp_path / "nlu.yml"
    write_rasa_yaml(examples, path)
    return read_rasa_data(path)


def assert_same(written: list[Example], read: list[Example]) -> None:
    assert [(e.text, e.spans, e.intent) for e in read] == [
        (e.text, e.spans, e.intent) for e in written
    ]


def test_fixture_bio_round_trips_through_rasa_loader(tmp_path, mini_bio):
    examples = read_bio(mini_bio, intent="gsd_sentence").examples
    assert_same(examples, yaml_round_trip(tmp_path, examples))
    text = (tmp_path / "nlu.yml").read_text(encoding="utf-8")
    assert 'version: "3.1"' in text or "version: '3.1'" in text
    assert (
        "- intent: gsd_sentence\n    examples: |\n      - [山田太郎](PERSON)は[東京](GPE)に行った。"
        in text
    )


def test_hard_texts_round_trip_in_object_form(tmp_path):
    examples = [
        Example("三代目 J SOUL BROTHERS　です", (Span(0, 21, "ORG"),), "a"),
        Example("タブ\tと${HOME}と\\u3042", (Span(0, 2, "X", value="tab"),), "a"),
        Example("行\n区切り\u2028と\x85制御\x00\x07", (Span(0, 1, "X", role="r"),), "b"),
        Example("plain ascii \\u3042 only", (), "c"),  # Rasa unescapes all-ASCII files
    ]
    assert_same(examples, yaml_round_trip(tmp_path, examples))


def test_text_rasa_would_strip_is_refused_with_its_location(tmp_path):
    example = Example(" 先頭に空白", (), "a", source=None)
    with pytest.raises(UnrepresentableError, match="Rasa strips"):
        to_rasa_yaml([example])
    with pytest.raises(UnrepresentableError, match="no intent"):
        to_rasa_yaml([Example("意図なし")])
    with pytest.raises(UnrepresentableError, match="lone surrogate U\\+D800"):
        to_rasa_yaml([Example("a\ud800b", intent="greet")])


# any character a UTF-8 file can hold (lone surrogates cannot: refused above)
TEXT_CHARS = st.one_of(
    st.sampled_from(list("[](){}:\"'\\#|>- \t\n東京😀\u3000")),
    st.characters(exclude_categories=["Cs"]),
)


@st.composite
def nlu_examples(draw):
    texts = draw(
        st.lists(
            st.text(TEXT_CHARS, min_size=1, max_size=15),
            min_size=1,
            max_size=8,
            unique_by=lambda t: t.strip("\n\r "),
        )
    )
    result = []
    for text in texts:
        text = text.strip("\n\r ")
        if not text:
            continue
        spans = []
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        if "]" not in text[start:end] and draw(st.booleans()):
            spans.append(Span(start, end, draw(st.sampled_from(["PERSON", "a:b"]))))
        result.append(Example(text, tuple(spans), draw(st.sampled_from(["greet", "意図"]))))
    return result


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(nlu_examples())
def test_any_representable_data_round_trips_through_rasa(tmp_path, examples):
    # Rasa groups examples by intent, so compare intent by intent
    read = yaml_round_trip(tmp_path, examples)
    for intent in {e.intent for e in examples}:
        assert_same(
            [e for e in examples if e.intent == intent], [e for e in read if e.intent == intent]
        )


RASA2_MARKDOWN = """\
<!-- a Rasa 2.x file -->
## intent:check_balance
- what is my balance <!-- no entity -->
- how much do I have on my [savings](source_account)
- how much on my [savings account](source_account:savings)
- fly from [boston]{"entity": "city", "role": "from"} please

## intent:greet
* hey
+ こんにちは

## synonym:savings
- pink pig

## regex:zipcode
- [0-9]{5}

## lookup:currencies
- Yen
- USD
"""


def test_rasa2_markdown_converts_to_yaml_without_loss(tmp_path):
    source = tmp_path / "nlu.md"
    source.write_text(RASA2_MARKDOWN, encoding="utf-8")
    data = read_rasa_markdown(source)
    assert [(e.intent, e.text) for e in data.examples][:2] == [
        ("check_balance", "what is my balance"),
        ("check_balance", "how much do I have on my savings"),
    ]
    assert data.examples[2].spans == (Span(15, 30, "source_account", value="savings"),)
    assert data.examples[3].spans == (Span(9, 15, "city", role="from"),)
    assert str(data.examples[3].source) == f"{source}:6"
    assert data.sections == [
        Section("synonym", "savings", ("pink pig",)),
        Section("regex", "zipcode", ("[0-9]{5}",)),
        Section("lookup", "currencies", ("Yen", "USD")),
    ]
    target = tmp_path / "nlu.yml"
    write_rasa_yaml(data, target)
    assert_same(data.examples, read_rasa_data(target))

    from rasa.shared.nlu.training_data.loading import load_data

    loaded = load_data(str(target))
    assert loaded.entity_synonyms == {"savings account": "savings", "pink pig": "savings"}
    assert loaded.regex_features == [{"name": "zipcode", "pattern": "[0-9]{5}"}]
    assert loaded.lookup_tables == [{"name": "currencies", "elements": ["Yen", "USD"]}]


def test_markdown_writer_matches_the_write_up_format(tmp_path, mini_bio):
    examples = read_bio(mini_bio, intent="gsd_sentence").examples
    text = to_rasa_markdown(NluData(examples))
    assert text.startswith("## intent:gsd_sentence\n- [山田太郎](PERSON)は[東京](GPE)に行った。\n")
    path = tmp_path / "gsd.md"
    write_rasa_markdown(examples, path)
    assert_same(examples, read_rasa_markdown(path).examples)


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("- orphan example\n", 1, "before the first"),
        ("## intent:a\n- ok\nnot a list item\n", 3, "expected '- example'"),
        ("## lookup:x\npath/to/file.txt\n", 2, "lookup table file references"),
        ('## intent:a\n- [x]{"entity": oops}\n', 2, "bad entity annotation"),
    ],
)
def test_bad_markdown_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NluFormatError, match=message) as error:
        read_rasa_markdown(path)
    assert str(error.value).startswith(f"{path}:{line}: ")
